import AENet
import Foundation

extension AEBench {
    /// The codec model: training patches/s on 64x64 patches, and the time of one
    /// analysis + synthesis pass over a whole image (the convolutions on oneDNN with a `context`).
    func runCodec(_ context: OneDNNContext?) throws {
        let model = CodecModel.build(seed: 1, threads: threads)
        if let context { try model.runConvolutionsOnOneDNN(context) }
        let patch = [64, 64, 3]
        let trainFlops = LayerFlops(layers: model.layers, imageShape: patch).training
        print("codec_parameters: \(model.parameterCount)")
        var rng = RandomGenerator(seed: 9)
        let poolCount = 256
        let data = ImageSet(height: 64, width: 64, channels: 3,
                            pixels: (0..<(poolCount * 64 * 64 * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        let trainer = Trainer(model: model)
        let batch = codecBatch
        func step(_ i: Int) {
            let start = (i * batch) % (poolCount - batch)
            trainer.trainStep(data.batch(start..<(start + batch)))
        }
        for i in 0..<2 { step(i) }
        let count = quick ? 4 * batch : codecPatches
        let steps = max(1, (count + batch - 1) / batch)
        let start = Date()
        for i in 0..<steps { step(i) }
        let rate = Double(steps * batch) / Date().timeIntervalSince(start)
        print(String(format: "codec_train_patches_per_s: %.2f", rate))
        print(String(format: "codec_train_gflops: %.1f", rate * trainFlops / 1e9))

        // One image through analysis and synthesis (what encoding and decoding a photo costs).
        let (h, w) = (codecImageHeight, codecImageWidth)
        let image = ImageSet(height: h, width: w, channels: 3,
                             pixels: (0..<(h * w * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).batch(0..<1)
        let imageFlops = LayerFlops(layers: model.layers, imageShape: [h, w, 3]).total
        _ = model.decode(model.encode(image))  // warm-up: scratch grows to the image's size
        var times: [Double] = []
        for _ in 0..<max(1, quick ? 1 : codecImageRuns) {
            let t0 = Date()
            _ = model.decode(model.encode(image))
            times.append(Date().timeIntervalSince(t0))
        }
        let median = times.sorted()[times.count / 2]
        print(String(format: "codec_image_seconds: %.4f", median))
        print(String(format: "codec_image_gflops: %.1f", imageFlops / median / 1e9))

        if layers { profileLayers(model, batch: data.batch(0..<batch)) }
    }
}
