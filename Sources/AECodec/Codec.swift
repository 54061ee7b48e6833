import AEBase
import AEFormats
import AENet
import Dispatch
import Foundation

/// An image as the codec takes it: 8-bit samples (gray, gray+alpha, RGB or RGBA, the
/// original's own layout) and what the original was (as a PNG colour type and depth).
public struct CodecImage: Equatable, Sendable {
    /// The pixels, 8 bits per sample, in the file's layout (gray, gray + alpha, RGB or RGBA).
    public var image: PNGImage
    /// The original PNG's colour type and bit depth (kept in the latent file).
    public var colorType: LatentFile.ColorType
    public var bitDepth: Int

    public init(image: PNGImage, colorType: LatentFile.ColorType, bitDepth: Int) {
        precondition(image.bitDepth == 8, "the codec takes 8-bit samples")
        self.image = image
        self.colorType = colorType
        self.bitDepth = bitDepth
    }

    /// Decodes any PNG libpng reads (every colour type and bit depth, interlaced or not),
    /// keeping its layout: gray stays gray, palette becomes RGB (RGBA with a tRNS chunk),
    /// a tRNS chunk on gray or RGB becomes an alpha channel, 16-bit samples are reduced to
    /// 8 bits. Refuses images over the codec's limits before allocating their pixels.
    public static func decodePNG(_ data: [UInt8], path: String) throws -> CodecImage {
        do {
            let header = try PNGImage.header(of: data)
            guard ImageCodec.accepts(width: header.width, height: header.height) else {
                throw CodecError.imageTooLarge(path: path, width: header.width, height: header.height)
            }
            guard let colorType = LatentFile.ColorType(rawValue: UInt8(truncatingIfNeeded: header.colorType)) else {
                throw CodecError.unreadableImage(path: path, reason: "unknown PNG colour type \(header.colorType)")
            }
            let image = try PNGImage.decode(data, channels: header.channels, maxPixels: ImageCodec.maxPixels)
            return CodecImage(image: image, colorType: colorType, bitDepth: header.sampleDepth)
        } catch let error as PNGError {
            throw CodecError.unreadableImage(path: path, reason: error.description)
        }
    }

    /// Decodes a PNG (as `decodePNG`), a JPEG or a WebP, recognised by its first bytes
    /// (`ImageFormat`), keeping its layout: a gray JPEG stays gray, WebP alpha stays.
    /// Refuses images over the codec's limits (or over `maxPixels`) before allocating
    /// their pixels. Errors are `CodecError`s naming `path`.
    public static func decode(_ data: [UInt8], path: String, maxPixels: Int = ImageCodec.maxPixels) throws -> CodecImage {
        do {
            let header = try ImageFile.header(of: data)
            guard ImageCodec.accepts(width: header.width, height: header.height) else {
                throw CodecError.imageTooLarge(path: path, width: header.width, height: header.height)
            }
            guard let colorType = LatentFile.ColorType(rawValue: UInt8(truncatingIfNeeded: header.colorType)) else {
                throw CodecError.unreadableImage(path: path, reason: "unknown colour type \(header.colorType)")
            }
            let image = try ImageFile.decode(data, maxPixels: min(maxPixels, ImageCodec.maxPixels))
            return CodecImage(image: image, colorType: colorType, bitDepth: header.sampleDepth)
        } catch let error as PNGError {
            throw CodecError.unreadableImage(path: path, reason: error.description)
        } catch let error as JPEGError {
            throw CodecError.unreadableImage(path: path, reason: error.description)
        } catch let error as WebPError {
            throw CodecError.unreadableImage(path: path, reason: error.description)
        } catch let error as UnrecognizedImageError {
            throw CodecError.unreadableImage(path: path, reason: error.description)
        }
    }
}

/// The image codec: PNG pixels to a latent file and back, with one model.
///
/// Images are cut into the model's square tiles (`ImageTiling`: edge-replicated
/// padding, cropped again on decoding). Gray images go in as R = G = B and come back
/// gray (the mean of the three channels); palette images come back RGB; alpha (an
/// alpha channel, or a tRNS chunk) is stored losslessly beside the latents and put
/// back unchanged; everything comes back at 8 bits per sample, whatever the original
/// depth (the network's error is far above 8-bit quantisation).
///
/// **Determinism.** The network does not give bitwise-identical outputs for a tile
/// in batches of different sizes (OpenBLAS picks its kernels and blocking by matrix
/// size, and the convolutions lower several images into one matrix), so the codec
/// never lets batching depend on anything but the image: each image's tiles go
/// through the network in fixed chunks of `chunkTiles` consecutive tiles (the last
/// one shorter), each chunk on a single-threaded model copy. Threads share out whole
/// chunks. The same PNG therefore encodes to the same bytes at any thread count,
/// alone or with other files, and a latent file decodes to the same PNG.
///
/// Not thread-safe itself (it owns models with scratch buffers): use one per thread,
/// or give it `threads` and let it spread chunks over them.
public final class ImageCodec {
    /// Largest width or height (the latent file's limit).
    public static let maxSide = LatentFile.Limits.side
    /// Largest width x height (the latent file's limit, 2^27).
    public static let maxPixels = LatentFile.Limits.pixels
    /// Tiles per network call: fixed, so results never depend on how work is split.
    /// 64 is about as fast per tile as 256 for both halves of the network and splits
    /// a 768x512 photo (384 tiles) evenly over two cores.
    public static let chunkTiles = 64

    public static func accepts(width: Int, height: Int) -> Bool {
        width > 0 && height > 0 && width <= maxSide && height <= maxSide
            && width.multipliedReportingOverflow(by: height).partialValue <= maxPixels
    }

    /// One single-threaded model copy per thread.
    private let models: [Autoencoder]
    public var model: Autoencoder { models[0] }
    public var threads: Int { models.count }
    /// The model's fingerprint (32 hex digits) and its 16 bytes.
    public let fingerprint: String
    public let fingerprintBytes: [UInt8]
    /// How errors name the model: "built-in svhn-64" or the bundle's path.
    public let modelName: String
    public let normalization: PixelNormalization
    public let tileSize: Int
    public var latentDim: Int { model.latentDim }
    /// The model's latent quantisation table (for `.uint8` files), if its bundle has one.
    public let quantization: LatentQuantization?
    /// Polled before each chunk of tiles; when it returns true the throwing `encode` and
    /// `decode` stop early with `CodecError.interrupted` (Ctrl-C in one large image).
    public var shouldStop: @Sendable () -> Bool = { false }

    /// A codec over the model in `bundle`, spreading chunks of tiles over `threads` threads.
    public init(bundle: ModelBundle, name: String? = nil, threads: Int = 1) throws {
        let path = name ?? bundle.displayPath
        let normalization = try Self.normalization(of: bundle, path: path)
        var models = [try bundle.makeModel(threads: 1)]
        let shape = models[0].imageShape
        guard shape.count == 3, shape[0] > 0, shape[0] == shape[1], shape[2] == 3 else {
            throw CodecError.incompatible(path: path, reason: "the model takes \(shape) images, the codec needs square RGB tiles")
        }
        if models[0].conditionClasses != nil {
            throw CodecError.incompatible(path: path, reason:
                "is a conditional model: it needs each image's class, which a picture does not carry (use aetrain sample --digit)")
        }
        for _ in 1..<max(1, threads) { models.append(try bundle.makeModel(threads: 1)) }
        self.models = models
        self.fingerprintBytes = ModelFingerprint.bytes(of: bundle.tensors)
        self.fingerprint = SHA256.hex(fingerprintBytes)
        self.modelName = name ?? path
        self.normalization = normalization
        self.tileSize = shape[0]
        self.quantization = bundle.quantization
    }

    /// The bundle's pixel normalisation, refused unless the codec supports it (NHWC RGB, positive scale).
    static func normalization(of bundle: ModelBundle, path: String) throws -> PixelNormalization {
        let n = bundle.metadata.normalization
        guard n.layout == "NHWC", n.channels == "RGB", n.scale.isFinite, n.scale > 0, n.offset.isFinite else {
            throw CodecError.incompatible(path: path, reason:
                "pixel normalisation \(n.layout)/\(n.channels) scale \(n.scale) offset \(n.offset) is not one the codec supports (NHWC RGB, positive scale)")
        }
        return n.pixelNormalization
    }

    // MARK: Encoding

    /// The latent file of one image, float16.
    public func encode(_ image: CodecImage) -> LatentFile {
        encode([image])[0]
    }

    /// The latent files of several images, float16 (their chunks shared out over the threads).
    public func encode(_ images: [CodecImage]) -> [LatentFile] {
        latentFiles(images, encoding: .float16, interruptible: false)!
    }

    /// The latent file of one image with `encoding`.
    public func encode(_ image: CodecImage, encoding: LatentFile.LatentEncoding) throws -> LatentFile {
        try encode([image], encoding: encoding)[0]
    }

    /// The latent files of several images with `encoding`; `.uint8` needs the model's
    /// quantisation table (`quantization`).
    public func encode(_ images: [CodecImage], encoding: LatentFile.LatentEncoding) throws -> [LatentFile] {
        try checkCanEncode(encoding)
        guard let files = latentFiles(images, encoding: encoding, interruptible: true) else {
            throw CodecError.interrupted(path: modelName)
        }
        return files
    }

    /// Throws unless the model can write `encoding`: 8-bit latents need a usable
    /// quantisation table (a damaged one is the model's fault, so the error names it).
    public func checkCanEncode(_ encoding: LatentFile.LatentEncoding) throws {
        guard encoding == .uint8 else { return }
        guard let q = quantization else { throw CodecError.incompatible(path: modelName, reason: Self.noTableReason) }
        do {
            try LatentFileCodec.checkQuantization(q, latentDim: latentDim, path: modelName, request: true)
        } catch LatentFileError.invalidRequest(_, let reason) {
            throw CodecError.incompatible(path: modelName, reason: reason)
        }
    }

    public static let noTableReason = "the model has no latent quantisation table, so it cannot encode 8-bit latents "
        + "(use --bits 16, or add a table with aetrain --quantize-from)"

    /// nil when interrupted (`shouldStop`, only if `interruptible`).
    private func latentFiles(_ images: [CodecImage], encoding: LatentFile.LatentEncoding,
                             interruptible: Bool) -> [LatentFile]? {
        guard let latents = tileLatents(images, interruptible: interruptible) else { return nil }
        return images.indices.map { i in
            LatentFile(modelFingerprint: fingerprintBytes, width: images[i].image.width, height: images[i].image.height,
                       colorType: images[i].colorType, bitDepth: images[i].bitDepth, tileSize: tileSize,
                       latentDim: latentDim, encoding: encoding, latents: latents[i],
                       quantization: quantization, alpha: Self.alphaPlane(of: images[i].image))
        }
    }

    /// Each image's tile latents, float32, [tiles, latentDim] row-major (nil when interrupted,
    /// `shouldStop`, only if `interruptible`). The entropy codec codes these too.
    func tileLatents(_ images: [CodecImage], interruptible: Bool) -> [[Float]]? {
        let tilings = images.map { ImageTiling(width: $0.image.width, height: $0.image.height, tileSize: tileSize) }
        let dim = latentDim
        let buffers = tilings.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: $0.count * dim) }
        defer { buffers.forEach { $0.deallocate() } }
        let complete = forEachChunk(tilings, interruptible: interruptible) { chunk, model in
            let tiling = tilings[chunk.image]
            let input = Tensor(uninitializedShape: [chunk.tiles.count, tileSize, tileSize, 3]) { out in
                tiling.extract(chunk.tiles, from: images[chunk.image].image, normalization: normalization, into: out)
            }
            let codes = model.encode(input)
            codes.data.withUnsafeBufferPointer { z in
                let target = buffers[chunk.image].baseAddress! + chunk.tiles.lowerBound * dim
                target.update(from: z.baseAddress!, count: chunk.tiles.count * dim)
            }
        }
        guard complete else { return nil }
        return buffers.map { Array($0) }
    }

    /// The alpha plane of an image with an alpha channel (2 or 4 channels), else nil.
    static func alphaPlane(of image: PNGImage) -> [UInt8]? {
        guard image.channels == 2 || image.channels == 4 else { return nil }
        let c = image.channels
        return [UInt8](unsafeUninitializedCapacity: image.width * image.height) { buffer, count in
            image.pixels.withUnsafeBufferPointer { p in
                for k in 0..<buffer.count { buffer[k] = p[k * c + c - 1] }
            }
            count = buffer.count
        }
    }

    // MARK: Decoding

    /// Channels of the decoded PNG: gray stays gray, palette and RGB give RGB, plus
    /// alpha when the original had any (an alpha channel or a tRNS chunk).
    public static func outputChannels(colorType: LatentFile.ColorType, hasAlpha: Bool) -> Int {
        switch colorType {
        case .gray: return hasAlpha ? 2 : 1
        case .grayAlpha: return 2
        case .rgb, .palette: return hasAlpha ? 4 : 3
        case .rgba: return 4
        }
    }

    /// Whether a latent file's fingerprint (its first `LatentFile.fingerprintLength`
    /// bytes, as the file keeps them) names this codec's model.
    public func made(fileFingerprint: [UInt8]) -> Bool {
        fileFingerprint.elementsEqual(fingerprintBytes.prefix(LatentFile.fingerprintLength))
    }

    /// The error for a latent file made by another model (naming the built-in model that made it, if one did).
    public func modelMismatch(path: String, fileFingerprint: [UInt8]) -> CodecError {
        .modelMismatch(path: path, file: SHA256.hex(fileFingerprint), model: fingerprint, modelName: modelName,
                       suggestion: EmbeddedModels.name(matching: fileFingerprint))
    }

    /// Throws unless `file` was made by this codec's model and fits it.
    public func check(_ file: LatentFile, path: String) throws {
        guard made(fileFingerprint: file.modelFingerprint) else {
            throw modelMismatch(path: path, fileFingerprint: file.modelFingerprint)
        }
        guard file.tileSize == tileSize, file.latentDim == latentDim else {
            throw CodecError.incompatible(path: path, reason:
                "holds \(file.tileSize)x\(file.tileSize) tiles of \(file.latentDim) latents, the model takes \(tileSize)x\(tileSize) tiles of \(latentDim)")
        }
        guard Self.accepts(width: file.width, height: file.height) else {
            throw CodecError.imageTooLarge(path: path, width: file.width, height: file.height)
        }
        guard file.latents.count == file.tileCount * latentDim else {
            throw CodecError.incompatible(path: path, reason: "holds \(file.latents.count) latent values, \(file.tileCount) tiles need \(file.tileCount * latentDim)")
        }
        if let alpha = file.alpha, alpha.count != file.width * file.height {
            throw CodecError.incompatible(path: path, reason: "its alpha plane has \(alpha.count) bytes for \(file.width * file.height) pixels")
        }
    }

    /// The 8-bit image of one latent file (see `outputChannels`).
    public func decode(_ file: LatentFile, path: String = "<memory>") throws -> PNGImage {
        try decode([file], paths: [path])[0]
    }

    /// The images of several latent files (their chunks shared out over the threads).
    public func decode(_ files: [LatentFile], paths: [String]) throws -> [PNGImage] {
        for (file, path) in zip(files, paths) { try check(file, path: path) }
        let images = files.map {
            TileImage(width: $0.width, height: $0.height, colorType: $0.colorType, alpha: $0.alpha, latents: $0.latents)
        }
        guard let decoded = pixels(of: images) else {
            throw CodecError.interrupted(path: paths.count == 1 ? paths[0] : modelName)
        }
        return decoded
    }

    /// What the decoder needs of one image: its size and layout, alpha, and tile latents
    /// ([tiles, latentDim], checked by the caller).
    struct TileImage {
        var width: Int
        var height: Int
        var colorType: LatentFile.ColorType
        var alpha: [UInt8]?
        var latents: [Float]
    }

    /// The images of tile latents (nil when `shouldStop` ended it first).
    func pixels(of images: [TileImage]) -> [PNGImage]? {
        let tilings = images.map { ImageTiling(width: $0.width, height: $0.height, tileSize: tileSize) }
        let channels = images.map { Self.outputChannels(colorType: $0.colorType, hasAlpha: $0.alpha != nil) }
        let buffers = images.indices.map { i in
            Self.outputBuffer(width: images[i].width, height: images[i].height, channels: channels[i], alpha: images[i].alpha)
        }
        defer { buffers.forEach { $0.deallocate() } }
        let dim = latentDim
        let complete = forEachChunk(tilings, interruptible: true) { chunk, model in
            let latents = images[chunk.image].latents
            let codes = Tensor(shape: [chunk.tiles.count, dim],
                               data: Array(latents[(chunk.tiles.lowerBound * dim)..<(chunk.tiles.upperBound * dim)]))
            let output = model.decode(codes)
            output.data.withUnsafeBufferPointer { out in
                tilings[chunk.image].place(chunk.tiles, from: out, normalization: normalization,
                                           into: buffers[chunk.image], channels: channels[chunk.image])
            }
        }
        guard complete else { return nil }
        return images.indices.map { i in
            PNGImage(width: images[i].width, height: images[i].height, channels: channels[i], pixels: Array(buffers[i]))
        }
    }

    /// A decoded image's pixel buffer before the network fills its colour: opaque (255)
    /// everywhere, the stored alpha plane in the alpha channel.
    static func outputBuffer(width: Int, height: Int, channels c: Int, alpha: [UInt8]?) -> UnsafeMutableBufferPointer<UInt8> {
        let b = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: width * height * c)
        b.initialize(repeating: 255)  // opaque where a colour type with alpha lost its plane
        if let alpha, c == 2 || c == 4 {
            for k in 0..<(width * height) { b[k * c + c - 1] = alpha[k] }
        }
        return b
    }

    // MARK: Chunks

    /// `chunkTiles` consecutive tiles of one image.
    private struct Chunk {
        var image: Int
        var tiles: Range<Int>
    }

    /// Runs `body` on every chunk of every image, spread over the model copies
    /// (chunks write disjoint parts of their image's buffers). Returns false when
    /// `interruptible` and `shouldStop` ended it before every chunk was done.
    private func forEachChunk(_ tilings: [ImageTiling], interruptible: Bool,
                              _ body: (Chunk, Autoencoder) -> Void) -> Bool {
        var chunks: [Chunk] = []
        for (i, tiling) in tilings.enumerated() {
            for start in stride(from: 0, to: tiling.count, by: Self.chunkTiles) {
                chunks.append(Chunk(image: i, tiles: start..<min(start + Self.chunkTiles, tiling.count)))
            }
        }
        let stop = interruptible ? shouldStop : { false }
        let workers = min(models.count, chunks.count)
        let next = ChunkCounter()
        if workers <= 1 {
            while !stop(), let k = next.take(below: chunks.count) { body(chunks[k], models[0]) }
        } else {
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                while !stop(), let k = next.take(below: chunks.count) { body(chunks[k], models[w]) }
            }
        }
        return next.taken == chunks.count && !(interruptible && stop())
    }
}

/// A shared "next chunk" index.
// @unchecked: its one mutable field is read and written only under `lock`.
private final class ChunkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    var taken: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}
