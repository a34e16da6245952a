/**
 * Image derivatives that do not need a model: {@link io.memescope.core.image.PerceptualHash} for
 * near-duplicate detection (the same meme re-encoded, resized or cropped) and {@link
 * io.memescope.core.image.Thumbnailer} for the JPEG thumbnails the wall shows. Both take the {@link
 * io.memescope.core.embed.PilImage} the embedding pipeline already decoded, so an image is decoded
 * once.
 */
package io.memescope.core.image;
