# The Flink image of the FlinkDeployment: Flink 2.2.1 on Java 17 (the project's flink.version),
# the ingest job jar in usrlib/, and memescope-core with its libraries (libtorch, the Cassandra
# and Milvus drivers, ...) in lib/, where the local stack's TaskManagers have them on their
# classpath too (infra/runtimes/flink; docs/ARCHITECTURE.md explains why not in the job jar).
#   docker build -f infra/docker/flink.Dockerfile -t memescope/flink:0.1.0-SNAPSHOT .
# It holds DJL's CPU libtorch only, whatever MAVEN_PROFILES says: GPU TaskManagers need an image
# built on this one that adds a CUDA libtorch 2.7.1 (docs/deploy.md, step 2; docs/models.md).
ARG FLINK_IMAGE=flink:2.2.1-java17
FROM ${FLINK_IMAGE} AS flinkdist

FROM maven:3.9-eclipse-temurin-17 AS build
ARG MAVEN_PROFILES=""
WORKDIR /src
COPY . .
RUN mvn -B -ntp -DskipTests -Dspotless.check.skip=true ${MAVEN_PROFILES:+-P$MAVEN_PROFILES} package \
 && mkdir -p /out/lib /out/usrlib /out/gpu \
 && cp flink-jobs/target/memescope-flink-jobs-*-job.jar /out/usrlib/ \
 && cp core/target/memescope-core-*.jar /out/lib/ \
 && mvn -B -ntp -q -pl core dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory=/out/lib -DexcludeGroupIds=org.apache.flink,org.slf4j,org.apache.logging.log4j
# The GPU driver plugin and its discovery scripts (shipped inside the plugin jar).
COPY --from=flinkdist /opt/flink/opt/ /tmp/flink-opt/
RUN cp /tmp/flink-opt/flink-external-resource-gpu-*.jar /out/gpu/ \
 && cd /out/gpu && jar xf flink-external-resource-gpu-*.jar gpu-discovery-common.sh nvidia-gpu-discovery.sh \
 && chmod +x /out/gpu/*.sh

FROM ${FLINK_IMAGE}
COPY --from=build --chown=flink:flink /out/lib/ /opt/flink/lib/
COPY --from=build --chown=flink:flink /out/usrlib/ /opt/flink/usrlib/
COPY --from=build --chown=flink:flink /out/gpu/ /opt/flink/plugins/external-resource-gpu/
# S3 for checkpoints, savepoints and HA (execution.checkpointing.dir = s3://...).
RUN mkdir -p /opt/flink/plugins/s3-fs-presto \
 && cp /opt/flink/opt/flink-s3-fs-presto-*.jar /opt/flink/plugins/s3-fs-presto/ \
 && chown -R flink:flink /opt/flink/plugins
USER flink
