import AEBase
import AEFormats
import AENet
import Foundation

/// One model measured on a test set, two ways:
/// - the network itself (float32 latents, float reconstructions): the figure the
///   published results and `aetrain --test` report;
/// - the codec as a user meets it: each image encoded to a latent file (float16, and
///   8-bit when the bundle has a quantisation table), its bytes counted, decoded back to
///   an 8-bit PNG image and compared with the original.
/// All errors are on pixels scaled to [0, 1].
public struct BundleEvaluation: Sendable {
    /// How one latent-file encoding did.
    public struct CodecFigures: Sendable {
        public var encoding: LatentFile.LatentEncoding
        /// Mean bytes per latent file.
        public var meanBytes: Double
        /// Mean bits per pixel of the files.
        public var bitsPerPixel: Double
        /// Mean squared error of the decoded 8-bit images.
        public var mse: Double
        public var psnr: Double { PSNR.decibels(mse: mse) }
        /// Decoded images of the sample indices, in order (for the grid).
        public var samples: [PNGImage]
    }

    /// How the network did on corrupted inputs (`aetrain report --noise`).
    public struct DenoisingFigures: Sendable {
        public var noise: InputNoise
        /// MSE against the clean images of the network's float outputs for the corrupted ones.
        public var mse: Double
        public var psnr: Double { PSNR.decibels(mse: mse) }
        /// The corrupted sample images and the network's outputs for them, in order.
        public var noisyInputs: [PNGImage]
        public var outputs: [PNGImage]
    }

    public var name: String
    public var fingerprint: String
    public var metadata: BundleMetadata
    public var latentDim: Int
    public var parameterCount: Int
    /// Values in one input image (height x width x channels).
    public var imageValues: Int
    /// Mean squared error of the network's float reconstructions.
    public var networkMSE: Double
    public var networkPSNR: Double { PSNR.decibels(mse: networkMSE) }
    /// The latent vectors of every test image, image after image.
    public var latents: [Float]
    public var statistics: LatentStatistics
    /// float16, then uint8 when the bundle has a table.
    public var codec: [CodecFigures]
    /// With a noise to measure against.
    public var denoising: DenoisingFigures?

    /// Measures `bundle` on `images`; `sampleIndices` pick the images whose decoded
    /// versions are kept for the pictures.
    /// With `noise`, also measures the network on corrupted images (`denoisingFigures`).
    public static func measure(bundle: ModelBundle, name: String, on images: ImageSet, sampleIndices: [Int],
                               threads: Int, noise: InputNoise? = nil,
                               progress: (String) -> Void = { _ in }) throws -> BundleEvaluation {
        let path = bundle.path ?? name
        let model = try bundle.makeModel(threads: threads)
        guard model.conditionClasses == nil else {
            throw ToolError(path: path, reason: "is a conditional model: encoding needs each image's class, which a picture does not carry (the report measures codec models)")
        }
        guard model.imageShape == images.imageShape else {
            throw ToolError(path: path, reason: "the model takes \(model.imageShape) images, the test images are \(images.imageShape)")
        }
        progress("\(name): network on \(images.count) images")
        let (mse, latents) = networkFigures(model, normalization: bundle.metadata.normalization.pixelNormalization, images: images)

        let codec = try ImageCodec(bundle: bundle, name: name, threads: threads)
        let inputs = (0..<images.count).map {
            CodecImage(image: images.pngImage(at: $0), colorType: images.channels == 1 ? .gray : .rgb, bitDepth: 8)
        }
        var encodings: [LatentFile.LatentEncoding] = [.float16]
        if codec.quantization != nil { encodings.append(.uint8) }
        var figures: [CodecFigures] = []
        for encoding in encodings {
            progress("\(name): codec, \(encoding == .uint8 ? "8-bit" : "float16") latent files")
            figures.append(try codecFigures(codec, encoding: encoding, inputs: inputs, sampleIndices: sampleIndices))
        }
        let denoising = noise.map { noise in
            progress("\(name): network on \(images.count) images with \(noise)")
            return denoisingFigures(model, normalization: bundle.metadata.normalization.pixelNormalization,
                                    images: images, noise: noise, sampleIndices: sampleIndices)
        }
        return BundleEvaluation(
            name: name, fingerprint: bundle.fingerprint, metadata: bundle.metadata, latentDim: model.latentDim,
            parameterCount: model.parameterCount, imageValues: images.imageSize, networkMSE: mse,
            latents: latents, statistics: LatentStatistics(latents: latents, dimensions: model.latentDim),
            codec: figures, denoising: denoising)
    }

    /// The network's outputs for images corrupted by `noise` (on the [0, 1] pixel scale,
    /// the fixed draw `InputNoise.evaluationSeed`, image by image: every model sees the
    /// same corrupted images), measured against the clean images.
    static func denoisingFigures(_ model: Autoencoder, normalization n: PixelNormalization, images: ImageSet,
                                 noise: InputNoise, sampleIndices: [Int]) -> DenoisingFigures {
        var sum = 0.0
        var noisyInputs: [Int: PNGImage] = [:], outputs: [Int: PNGImage] = [:]
        let wanted = Set(sampleIndices)
        var start = 0
        while start < images.count {
            let end = min(start + 256, images.count)
            let clean = images.batch(start..<end)
            let noisy = noise.corrupt(clean, seed: InputNoise.evaluationSeed, firstIndex: start)
            let input = n == .unitRange ? noisy : Tensor(shape: noisy.shape, data: noisy.data.map { ($0 * 255 - n.offset) / n.scale })
            let y = model.forward(input)
            for k in 0 ..< clean.count { let e = Double(n.unitInterval(y.data[k]) - clean.data[k]); sum += e * e }
            for i in start..<end where wanted.contains(i) {
                noisyInputs[i] = noisy.slice(batch: (i - start)..<(i - start + 1)).pngImages()[0]
                outputs[i] = y.slice(batch: (i - start)..<(i - start + 1)).pngImages(normalization: n)[0]
            }
            start = end
        }
        let count = Double(images.count * images.imageSize)
        return DenoisingFigures(noise: noise, mse: count > 0 ? sum / count : .nan,
                                noisyInputs: sampleIndices.map { noisyInputs[$0]! },
                                outputs: sampleIndices.map { outputs[$0]! })
    }

    /// Mean squared error over all images and the latent vectors, in batches of 256.
    static func networkFigures(_ model: Autoencoder, normalization n: PixelNormalization,
                               images: ImageSet) -> (mse: Double, latents: [Float]) {
        // Inputs in the bundle's normalisation; errors on the [0, 1] pixel scale, like the loss.
        var latents = [Float]()
        latents.reserveCapacity(images.count * model.latentDim)
        var sum = 0.0
        var start = 0
        while start < images.count {
            let end = min(start + 256, images.count)
            let target = images.batch(start..<end)
            let z = model.encode(n == .unitRange ? target : images.batch(start..<end, normalization: n))
            latents.append(contentsOf: z.data)
            let y = model.decode(z)
            y.data.withUnsafeBufferPointer { out in
                target.data.withUnsafeBufferPointer { t in
                    var batchSum = 0.0
                    for k in 0..<t.count {
                        let value = n.unitInterval(out[k])
                        let e = Double(value - t[k])
                        batchSum += e * e
                    }
                    sum += batchSum
                }
            }
            start = end
        }
        let count = Double(images.count * images.imageSize)
        return (count > 0 ? sum / count : .nan, latents)
    }

    /// Every image through a latent file and back, exactly as aeenc and aedec would.
    static func codecFigures(_ codec: ImageCodec, encoding: LatentFile.LatentEncoding, inputs: [CodecImage],
                             sampleIndices: [Int]) throws -> CodecFigures {
        let files = try codec.encode(inputs, encoding: encoding)
        var totalBytes = 0
        var decodedFiles: [LatentFile] = []
        decodedFiles.reserveCapacity(files.count)
        for file in files {
            let bytes = try file.encoded()
            totalBytes += bytes.count
            decodedFiles.append(try LatentFile.decode(bytes, quantization: codec.quantization))
        }
        let outputs = try codec.decode(decodedFiles, paths: decodedFiles.indices.map { "<test image \($0)>" })
        var sum = 0.0
        for (input, output) in zip(inputs, outputs) {
            for (a, b) in zip(input.image.pixels, output.pixels) {
                let e = Double(Int(a) - Int(b)) / 255
                sum += e * e
            }
        }
        let n = Double(max(1, inputs.count))
        let pixels = Double(inputs.first.map { $0.image.width * $0.image.height } ?? 1)
        let values = Double(inputs.first?.image.pixels.count ?? 1)
        return CodecFigures(encoding: encoding, meanBytes: Double(totalBytes) / n,
                            bitsPerPixel: Double(totalBytes * 8) / (n * pixels),
                            mse: sum / (n * values), samples: sampleIndices.map { outputs[$0] })
    }
}
