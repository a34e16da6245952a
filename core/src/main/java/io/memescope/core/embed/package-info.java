/**
 * Embeddings: {@link io.memescope.core.embed.ClipEncoder} runs a CLIP-family model's TorchScript
 * towers with DJL; {@link io.memescope.core.embed.ImageDecoder}, {@link
 * io.memescope.core.embed.ClipPreprocessor} and {@link io.memescope.core.embed.ClipTokenizer}
 * reproduce the reference implementation's preprocessing and tokenisation exactly.
 */
package io.memescope.core.embed;
