import AEBase
import AEEntropyCoding
import AEFormats
import AENet

/// The entropy-coded image codec: PNG pixels to a format 2.0 latent file
/// (`CodedLatentFile`) and back, with a model whose bundle holds entropy tables
/// (`EntropyTables`).
///
/// The network part depends on the model's family:
/// - **tiles** (the reference family): the image is cut into the model's square tiles
///   exactly as `ImageCodec` does (same chunks, same padding, same determinism); the
///   latent is [tiles, D];
/// - **whole image** (`conv-factorized`, `conv-hyperprior`): the image is padded to a multiple of 16 on each
///   side by replicating edges (`PaddedImage`), goes through the analysis transform split
///   over `threads` threads at image rows (`Parallelism.rowAligned`: each row's work is cut
///   the same way whatever the thread count, so the bytes never depend on it) in
///   horizontal bands whose height a memory budget sets and whose overlap covers the
///   receptive field (`BandedModel`: the same latent as one run over the whole image),
///   and the latent is [1, H/16, W/16, M]. Decoding runs the synthesis in bands the same way.
///
/// With a factorized prior the symbols are the latent's values in memory order (channels
/// last), each round(value - median) of its channel (ties to even, as
/// `FactorizedPrior.symbols`), coded by the rANS coder under its channel's table
/// (Specs/latent-file.md section 12). A hyperprior model codes its hyper-latent's symbols
/// first, then the latent's under tables picked by scale (`HyperpriorCoding`). Decoding
/// uses only the bundle's integer tables and float32 medians (value = symbol + median),
/// never the prior's floating point, so a file decodes to the same latent everywhere.
/// Gray, palette and alpha are handled as `ImageCodec` handles them; alpha is stored
/// losslessly in the file.
///
/// Not thread-safe itself (it owns models with scratch buffers): use one per thread.
public final class EntropyCodec {
    private enum Network {
        case tiles(ImageCodec)
        case whole(BandedModel)
    }
    /// How a hyperprior model's symbols are ordered and given tables (nil: one table per
    /// latent channel).
    private let hyper: HyperpriorCoding?

    private let network: Network
    /// The rate-distortion weight the model was trained with (nil: not recorded).
    private let lambda: Double?
    /// Encoder-side refinement of whole-image latents (nil: off; `refineLatents(steps:)`).
    private var refinement: LatentRefinement?
    /// The bundle a refinement's model is built from (whole-image models only).
    private let refinementBundle: ModelBundle?
    /// The integer tables and medians, one per latent channel.
    public let tables: EntropyTables
    /// The model's fingerprint (32 hex digits) and its 16 bytes.
    public let fingerprint: String
    public let fingerprintBytes: [UInt8]
    /// How errors name the model: "built-in svhn-64" or the bundle's path.
    public let modelName: String
    public let normalization: PixelNormalization
    /// Latent channels (the last axis; with a factorized prior one table each).
    public let channels: Int
    /// The tiles codec the entropy codec runs the network through (nil for a whole-image
    /// model): it also writes and reads the model's format 1.x files.
    public var imageCodec: ImageCodec? {
        if case let .tiles(codec) = network { return codec }
        return nil
    }
    /// Whether the model codes whole images (true) or tiles (false).
    public var codesWholeImages: Bool {
        if case .whole = network { return true }
        return false
    }
    /// Polled before each chunk of tiles or each band of a whole image; when it returns true
    /// `encode` and `decode` throw `CodecError.interrupted`.
    public var shouldStop: @Sendable () -> Bool = { false } {
        didSet { if case let .tiles(codec) = network { codec.shouldStop = shouldStop } }
    }

    /// Why a model without entropy tables cannot write coded files.
    public static let noTablesReason = "the model has no entropy tables (entropy/ tensors), so it cannot write "
        + "entropy-coded latents (use --latent f16 or u8, or a model trained with aetrain --lambda)"

    /// A codec over the model in `bundle`; tile models spread chunks of tiles over `threads`
    /// threads, whole-image models the rows of each layer (the same bytes at any count).
    public init(bundle: ModelBundle, name: String? = nil, threads: Int = 1) throws {
        let path = name ?? bundle.displayPath
        guard let tables = try EntropyTables(bundle: bundle) else {
            throw CodecError.incompatible(path: path, reason: Self.noTablesReason)
        }
        let latentChannels: Int?
        var hyper: HyperpriorCoding?
        let family = bundle.metadata.architecture.family
        if family == ModelFamily.convolutional.name || family == ModelFamily.hyperprior.name {
            normalization = try ImageCodec.normalization(of: bundle, path: path)
            // Split at image rows: the bands then give the whole image's values bit for bit.
            let model = try bundle.makeModel(parallelism: Parallelism(threads: threads, rowAligned: true))
            guard model.imageShape == [anySize, anySize, 3] else {
                throw CodecError.incompatible(path: path, reason: "the model takes \(model.imageShape) images, the codec needs RGB of any size")
            }
            guard let banded = BandedModel(model: model) else {
                throw CodecError.incompatible(path: path, reason: "the model's transforms are not all convolutions and per-pixel layers")
            }
            if let hyperprior = model.hyperprior {
                guard let coding = HyperpriorCoding(hyperprior: hyperprior, tables: tables, threads: threads) else {
                    throw CodecError.incompatible(path: path, reason: "the bundle's entropy tables do not fit its hyperprior "
                        + "(\(hyperprior.prior.channels) tables of z, then one per scale of entropy/scale)")
                }
                hyper = coding
            }
            latentChannels = model.encoder.outputShape.last
            network = .whole(banded)
            refinementBundle = bundle
        } else {
            let codec = try ImageCodec(bundle: bundle, name: name, threads: threads)
            latentChannels = codec.model.encoder.outputShape.last
            normalization = codec.normalization
            network = .tiles(codec)
            refinementBundle = nil
        }
        self.hyper = hyper
        guard hyper != nil || latentChannels == tables.tables.count else {
            throw CodecError.incompatible(path: path, reason:
                "the bundle has \(tables.tables.count) entropy tables for a latent of \(latentChannels ?? 0) channels")
        }
        self.tables = tables
        channels = latentChannels ?? 0
        lambda = bundle.metadata.training?.lambda
        fingerprintBytes = ModelFingerprint.bytes(of: bundle.tensors)
        fingerprint = SHA256.hex(fingerprintBytes)
        modelName = path
    }

    /// Whether the codec takes an image of this size: the latent file's limits
    /// (`ImageCodec.accepts`), for tile and whole-image models alike.
    public func accepts(width: Int, height: Int) -> Bool {
        ImageCodec.accepts(width: width, height: height)
    }

    /// Latent rows (16 image rows each) a whole-image model's bands keep; nil: as many as
    /// its memory budget allows. For tests, which force small bands.
    var bandRows: Int? {
        get { if case let .whole(banded) = network { return banded.bandRows }; return nil }
        set { if case let .whole(banded) = network { banded.bandRows = newValue } }
    }

    // MARK: Encoding

    /// Refine each whole image's latent by `steps` gradient steps on the image's own
    /// rate-distortion cost before coding (`LatentRefinement`; 0: off). The files decode as
    /// any others. Throws for a tiles model, a model without a prior or without a recorded
    /// lambda (trained without `--lambda`).
    public func refineLatents(steps: Int) throws {
        guard steps > 0 else { refinement = nil; return }
        guard case .whole = network, let bundle = refinementBundle else {
            throw CodecError.incompatible(path: modelName, reason: "latent refinement needs a whole-image model with a prior")
        }
        guard let lambda, lambda > 0 else {
            throw CodecError.incompatible(path: modelName, reason: "the model records no rate-distortion lambda, which latent refinement needs")
        }
        // Its own single-threaded model: the backward pass's sums (GDN's) are split by pixel
        // counts, which would make the result depend on the thread count.
        let model = try bundle.makeModel(parallelism: Parallelism(threads: 1, rowAligned: true))
        guard let entropyModel = model.entropyModel else {
            throw CodecError.incompatible(path: modelName, reason: "latent refinement needs a whole-image model with a prior")
        }
        refinement = LatentRefinement(model: model, entropyModel: entropyModel, lambda: lambda, steps: steps)
    }

    /// The costs (lambda * 255^2 * MSE + bits per pixel, one per step, the first the plain
    /// latent's) of the last image refined, and the step whose latent was kept.
    public private(set) var lastRefinement: (costs: [Double], bestStep: Int)?

    /// The latent of `image` as the network gives it: [tiles, D] or [1, H/16, W/16, M]
    /// (padded size), float32.
    public func latent(of image: CodecImage, path: String = "<memory>") throws -> Tensor {
        let (w, h) = (image.image.width, image.image.height)
        guard accepts(width: w, height: h) else { throw CodecError.imageTooLarge(path: path, width: w, height: h) }
        switch network {
        case let .tiles(codec):
            guard let latents = codec.tileLatents([image], interruptible: true) else { throw CodecError.interrupted(path: path) }
            return Tensor(shape: [latents[0].count / channels, channels], data: latents[0])
        case let .whole(banded):
            let padded = PaddedImage(width: w, height: h, multiple: BandedModel.unit)
            guard let latent = banded.encode(image.image, padded: padded, normalization: normalization, shouldStop: shouldStop)
            else { throw CodecError.interrupted(path: path) }
            guard let refinement else { return latent }
            guard padded.paddedWidth * padded.paddedHeight <= LatentRefinement.maxPixels else {
                throw CodecError.incompatible(path: path, reason: "latent refinement takes images up to "
                    + "\(LatentRefinement.maxPixels) pixels (after padding to a multiple of 16); this one has "
                    + "\(padded.paddedWidth * padded.paddedHeight)")
            }
            let target = padded.input(image.image, normalization: normalization)
            guard let refined = refinement.refine(latent, target: target, width: w, height: h, shouldStop: shouldStop)
            else { throw CodecError.interrupted(path: path) }
            lastRefinement = (refined.costs, refined.bestStep)
            return refined.latent
        }
    }

    /// The coded latent file of one image.
    public func encode(_ image: CodecImage, path: String = "<memory>") throws -> CodedLatentFile {
        let latent = try latent(of: image, path: path)
        let (symbols, tableIndexes) = try codedSymbols(of: latent, path: path)
        var encoder = RangeEncoder(tables: tables.tables)
        for (s, t) in zip(symbols, tableIndexes) { encoder.encode(s, table: t) }
        return CodedLatentFile(modelFingerprint: fingerprintBytes, width: image.image.width, height: image.image.height,
                               colorType: image.colorType, bitDepth: image.bitDepth, stream: encoder.finish(),
                               alpha: ImageCodec.alphaPlane(of: image.image))
    }

    /// Every symbol the stream of `latent` codes, with its table, in coding order: the
    /// latent's own symbols (`symbols(of:)`) under their channels' tables, or a hyperprior
    /// model's hyper-latent and latent symbols (`HyperpriorCoding`).
    public func codedSymbols(of latent: Tensor, path: String = "<memory>") throws -> (symbols: [Int32], tables: [Int]) {
        if let hyper {
            return try hyper.symbols(of: latent) { try symbol($0, median: $1, path: path) }
        }
        let c = channels
        return (try symbols(of: latent, path: path), (0 ..< latent.count).map { $0 % c })
    }

    /// round(value - median) of each value's channel (ties to even). Refuses non-finite
    /// latents (a damaged model) and values beyond Int32. (With a hyperprior: round(value),
    /// the latent's own symbols without the hyper-latent's.)
    public func symbols(of latent: Tensor, path: String = "<memory>") throws -> [Int32] {
        let c = channels, medians = hyper == nil ? tables.medians : [Float](repeating: 0, count: c)
        var symbols = [Int32](repeating: 0, count: latent.count)
        for i in 0..<latent.count { symbols[i] = try symbol(latent.data[i], median: medians[i % c], path: path) }
        return symbols
    }

    /// round(value - median), ties to even; throws for a value that cannot be coded.
    private func symbol(_ value: Float, median: Float, path: String) throws -> Int32 {
        let r = (value - median).rounded(.toNearestOrEven)
        guard r.isFinite, abs(r) < 2_000_000_000 else {
            throw CodecError.incompatible(path: path, reason: "the model \(modelName) gave the latent value \(value), which cannot be coded")
        }
        return Int32(r)
    }

    // MARK: Decoding

    /// Whether a latent file's fingerprint (its first 8 bytes) names this codec's model.
    public func made(fileFingerprint: [UInt8]) -> Bool {
        fileFingerprint.elementsEqual(fingerprintBytes.prefix(LatentFile.fingerprintLength))
    }

    /// The shape of the latent a `width` x `height` image gives.
    public func latentShape(width: Int, height: Int) -> [Int] {
        switch network {
        case let .tiles(codec):
            return [ImageTiling(width: width, height: height, tileSize: codec.tileSize).count, channels]
        case .whole:
            let p = PaddedImage(width: width, height: height, multiple: ConvolutionalCodecModel.stride)
            let s = ConvolutionalCodecModel.stride
            return [1, p.paddedHeight / s, p.paddedWidth / s, channels]
        }
    }

    /// The 8-bit image of a coded latent file (channels as `ImageCodec.outputChannels`).
    /// Throws `CodecError.modelMismatch` for a file of another model and
    /// `CodecError.incompatible` for a stream that does not decode under this model's tables.
    public func decode(_ file: CodedLatentFile, path: String = "<memory>") throws -> PNGImage {
        guard made(fileFingerprint: file.modelFingerprint) else {
            throw CodecError.modelMismatch(path: path, file: SHA256.hex(file.modelFingerprint), model: fingerprint,
                                           modelName: modelName, suggestion: EmbeddedModels.name(matching: file.modelFingerprint))
        }
        guard accepts(width: file.width, height: file.height) else {
            throw CodecError.imageTooLarge(path: path, width: file.width, height: file.height)
        }
        if let alpha = file.alpha, alpha.count != file.width * file.height {
            throw CodecError.incompatible(path: path, reason: "its alpha plane has \(alpha.count) bytes for \(file.width * file.height) pixels")
        }
        let shape = latentShape(width: file.width, height: file.height)
        let latent = try latentValues(of: file.stream, shape: shape, path: path)
        let outChannels = ImageCodec.outputChannels(colorType: file.colorType, hasAlpha: file.alpha != nil)
        switch network {
        case let .tiles(codec):
            let tiles = ImageCodec.TileImage(width: file.width, height: file.height, colorType: file.colorType,
                                             alpha: file.alpha, latents: latent.data)
            guard let images = codec.pixels(of: [tiles]) else { throw CodecError.interrupted(path: path) }
            return images[0]
        case let .whole(banded):
            let padded = PaddedImage(width: file.width, height: file.height, multiple: BandedModel.unit)
            let buffer = ImageCodec.outputBuffer(width: file.width, height: file.height, channels: outChannels, alpha: file.alpha)
            defer { buffer.deallocate() }
            guard banded.decode(latent, padded: padded, normalization: normalization, into: buffer, channels: outChannels,
                                shouldStop: shouldStop)
            else { throw CodecError.interrupted(path: path) }
            return PNGImage(width: file.width, height: file.height, channels: outChannels, pixels: Array(buffer))
        }
    }

    /// The latent values of a stream, in `shape`: each symbol + its channel's median
    /// (float32), or a hyperprior model's (`HyperpriorCoding.decode`).
    func latentValues(of stream: [UInt8], shape: [Int], path: String) throws -> Tensor {
        do {
            var decoder = try RangeDecoder(bytes: stream, tables: tables.tables)
            var latent: Tensor
            if let hyper {
                latent = try hyper.decode(&decoder, yShape: shape)
            } else {
                let medians = tables.medians, c = channels
                latent = Tensor(zeros: shape)
                for i in 0..<latent.count { latent.data[i] = Float(try decoder.decode(table: i % c)) + medians[i % c] }
            }
            try decoder.finish()
            return latent
        } catch let error as EntropyCodingError {
            throw CodecError.incompatible(path: path, reason:
                "its entropy-coded stream does not decode under the tables of \(modelName) (damaged?): \(error)")
        }
    }
}
