package io.memescope.core.image;

import io.memescope.core.embed.DecodeMemory;
import io.memescope.core.embed.ImageDecodeException;
import io.memescope.core.embed.ImageDecoder;
import java.util.List;

/**
 * What the ingest job keeps of a fetched image besides its bytes: its size, its {@link
 * PerceptualHash} and its {@link Thumbnailer} thumbnails, from one decode.
 *
 * <p>A well-formed JPEG or PNG without an EXIF rotation (most of what a crawl brings) is decoded
 * once by OpenCV and hashed and scaled from the decoded bytes ({@link NativeCodecs#analyse}), with
 * its native memory reserved in the decoder's {@link ImageDecoder#nativeMemory()}; every other
 * file, and one OpenCV refuses, goes through {@link ImageDecoder#decode}. The two give the same
 * hash, the same thumbnail sizes, and thumbnails within JPEG's noise of each other
 * (ImageAnalysisTest).
 *
 * @param width after EXIF orientation, as {@link ImageDecoder#decode} gives it
 * @param thumbnails in the order of the sizes asked for
 */
public record ImageAnalysis(
    int width, int height, long perceptualHash, List<Thumbnailer.Thumbnail> thumbnails) {

  /**
   * @throws ImageDecodeException with the reason the file cannot be indexed, as {@link
   *     ImageDecoder#decode} gives it
   */
  public static ImageAnalysis of(ImageDecoder decoder, byte[] bytes, List<Thumbnailer.Size> sizes)
      throws ImageDecodeException {
    ImageDecoder.WellFormed file = decoder.wellFormed(bytes);
    boolean forOpenCv = file != null && file.orientation() == 1;
    DecodeMemory natives = decoder.nativeMemory();
    if (forOpenCv) {
      long offHeap = NativeCodecs.analysisFootprint(file, bytes.length);
      List<Thumbnailer.Size> order = Thumbnailer.largestFirst(sizes);
      List<int[]> targets = Thumbnailer.targets(file.width(), file.height(), order);
      NativeCodecs.Analysis fast;
      try (DecodeMemory.Lease lease = natives.reserve(offHeap, ImageDecoder.what(file))) {
        fast = NativeCodecs.analyse(bytes, file.channels(), targets, Thumbnailer.QUALITY_PERCENT);
      }
      if (fast != null && fast.width() == file.width() && fast.height() == file.height()) {
        return new ImageAnalysis(
            file.width(),
            file.height(),
            fast.perceptualHash(),
            Thumbnailer.inOrder(sizes, order, targets, fast.jpegs()));
      }
    }
    // OpenCV refused the file (or it is not one for OpenCV): ImageIO decodes or explains it, with
    // the heap for the image and its thumbnails reserved.
    ImageDecoder.Use<ImageAnalysis> analyse =
        image -> {
          long hash = PerceptualHash.of(image);
          // OpenCV scales a copy of the image off the heap: reserved there too, after the heap as
          // every decode does.
          long thumbnails =
              NativeCodecs.available()
                  ? NativeCodecs.thumbnailsFootprint(image.width(), image.height())
                  : 0;
          try (DecodeMemory.Lease lease =
              thumbnails == 0
                  ? null
                  : natives.reserve(
                      thumbnails, image.width() + "x" + image.height() + " thumbnails")) {
            return new ImageAnalysis(
                image.width(), image.height(), hash, Thumbnailer.of(image, sizes));
          }
        };
    return forOpenCv
        ? decoder.decodeWithoutNatives(bytes, Thumbnailer::heapBytesPerPixel, analyse)
        : decoder.decode(bytes, Thumbnailer::heapBytesPerPixel, analyse);
  }
}
