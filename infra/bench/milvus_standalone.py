"""Runs the real Milvus 2.3 standalone server (PyPI `milvus`, "embedded Milvus": the C++ server with
embedded etcd and local storage) on 127.0.0.1:PORT until killed. For benchmarks only: the local
stack runs Milvus Lite, whose search is linear in the collection size (docs/benchmarks.md).
    python milvus_standalone.py DATA_DIR PORT
"""
import signal
import sys
import time

from milvus import MilvusServer

server = MilvusServer(wait_for_started=True)
server.set_base_dir(sys.argv[1])
server.listen_port = int(sys.argv[2])
server.config.set("proxy_port", int(sys.argv[2]))
server.start()
print(f"milvus standalone listening on 127.0.0.1:{sys.argv[2]}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: (server.stop(), sys.exit(0)))
while True:
    time.sleep(3600)
