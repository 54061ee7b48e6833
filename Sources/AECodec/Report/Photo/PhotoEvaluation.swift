import AEFormats
import Dispatch
import Foundation

/// Our codec measured on a folder of whole photos against JPEG and WebP (`PeerCodec`):
/// every photo through every model of every curve, coded as `aeenc` codes it (the
/// `EntropyCodec` of the bundle, the latent file's bytes, decoded again from those bytes
/// as `aedec` does), and through each peer at each quality of a grid; bytes and PSNR over
/// RGB of the 8-bit outputs. Photos are spread over threads, one codec per model per
/// thread; the figures do not depend on the thread count.
public struct PhotoEvaluation {
    /// One of our curves: a quality set's levels, several bundles given together, or one
    /// bundle (a single point).
    public struct Curve {
        public struct Point {
            /// "level 2", or the bundle's name.
            public var label: String
            public var bundle: ModelBundle
            /// How messages name the bundle: "built-in NAME" or its path.
            public var source: String
            public init(label: String, bundle: ModelBundle, source: String) {
                self.label = label
                self.bundle = bundle
                self.source = source
            }
        }
        public var name: String
        public var points: [Point]
        public init(name: String, points: [Point]) {
            self.name = name
            self.points = points
        }

        /// "photo level 2", "a+b b", or a single bundle's name alone.
        public func title(_ point: Int) -> String {
            points[point].label == name ? name : "\(name) \(points[point].label)"
        }
    }

    public struct Settings: Sendable {
        public var peers = PeerCodec.allCases
        /// The qualities (0...100) each peer is measured at (`PeerCodec.qualities`).
        public var grid = PeerCodec.defaultGrid
        /// The photos to cut zoomed crops from (`PhotoCrops`), and the crops' side.
        public var cropPhotos: Set<Int> = []
        public var cropSize = 128
        public var threads = 1
        public init() {}
    }

    /// Means over the photos of one point: bytes, bits per pixel and PSNR.
    public struct Mean: Sendable {
        public var bytes: Double
        public var bitsPerPixel: Double
        public var psnr: Double
    }

    public var curves: [Curve]
    public var peers: [PeerCodec]
    /// Per peer, its qualities, ascending.
    public var qualities: [[Int]]
    /// In the folder's order.
    public var photos: [PhotoMeasurement]

    /// Measures every photo of `folder`. Throws when a photo fails (unreadable, too large,
    /// or a model that cannot code it): the first such photo in the folder's order among
    /// those measured (the others stop at their next photo).
    /// `progress` gets a line before each photo and model (never two at once).
    public static func measure(_ folder: PhotoFolder, curves: [Curve], settings: Settings,
                               progress: @escaping (String) -> Void = { _ in }) throws -> PhotoEvaluation {
        let qualities = settings.peers.map { $0.qualities(settings.grid) }
        let count = folder.files.count
        let workers = max(1, min(settings.threads, count))
        let codecs = try (0..<workers).map { _ in
            try curves.map { curve in
                try curve.points.map { try EntropyCodec(bundle: $0.bundle, name: $0.source, threads: 1) }
            }
        }
        let state = SharedState(count: count, progress: progress)
        func work(_ worker: Int) {
            while let i = state.next() {
                do {
                    let m = try measurePhoto(i, of: folder, curves: curves, codecs: codecs[worker], qualities: qualities,
                                             settings: settings) { state.report("\(folder.name(i)) (\(i + 1)/\(count)): \($0)") }
                    state.store(m, at: i)
                } catch {
                    state.fail(error, at: i)
                }
            }
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        return PhotoEvaluation(curves: curves, peers: settings.peers, qualities: qualities, photos: try state.results())
    }

    /// One photo through every model and every peer quality.
    private static func measurePhoto(_ i: Int, of folder: PhotoFolder, curves: [Curve], codecs: [[EntropyCodec]],
                                     qualities: [[Int]], settings: Settings,
                                     progress: (String) -> Void) throws -> PhotoMeasurement {
        let path = folder.files[i]
        let rgb = try folder.read(i)
        let region = settings.cropPhotos.contains(i) ? PhotoCrops.detailedRegion(of: rgb, size: settings.cropSize) : nil
        func cut(_ image: PNGImage) -> PNGImage? {
            region.map { PhotoCrops.cut(image, x: $0.x, y: $0.y, width: $0.width, height: $0.height) }
        }
        var measurement = PhotoMeasurement(name: folder.name(i), width: rgb.width, height: rgb.height, ours: [], peers: [])
        var oursCrops: [[PNGImage]] = [], peerCrops: [[PNGImage]] = []

        // Ours: what aeenc writes and aedec reads back.
        let input = CodecImage(image: rgb, colorType: .rgb, bitDepth: 8)
        for (c, curve) in curves.enumerated() {
            var points: [PhotoPoint] = [], crops: [PNGImage] = []
            for (p, point) in curve.points.enumerated() {
                progress("\(curve.name) \(point.label)")
                let codec = codecs[c][p]
                let bytes = try codec.encode(input, path: path).encoded()
                let decoded = try codec.decode(try CodedLatentFile.decode(bytes, path: path), path: path)
                points.append(PhotoPoint(bytes: bytes.count, psnr: PhotoMeasurement.psnr(rgb, decoded)))
                if let crop = cut(decoded) { crops.append(crop) }
            }
            measurement.ours.append(points)
            oursCrops.append(crops)
        }
        // The peers over their grids.
        for (k, peer) in settings.peers.enumerated() {
            progress("\(peer.name) at \(qualities[k].count) qualities")
            var points: [PhotoPoint] = [], crops: [PNGImage] = []
            for q in qualities[k] {
                let bytes = try peer.encode(rgb, quality: q)
                let decoded = try peer.decode(bytes)
                points.append(PhotoPoint(bytes: bytes.count, psnr: PhotoMeasurement.psnr(rgb, decoded)))
                if let crop = cut(decoded) { crops.append(crop) }
            }
            measurement.peers.append(points)
            peerCrops.append(crops)
        }
        if let region, let original = cut(rgb) {
            measurement.crops = PhotoCrops(x: region.x, y: region.y, width: region.width, height: region.height,
                                           original: original, ours: oursCrops, peers: peerCrops)
        }
        return measurement
    }

    // MARK: Figures

    /// Means over the photos of point `point` of curve `curve`.
    public func mean(curve: Int, point: Int) -> Mean {
        mean(photos.map { ($0, $0.ours[curve][point]) })
    }

    /// Means over the photos of peer `peer` at its quality index `quality`.
    public func mean(peer: Int, quality: Int) -> Mean {
        mean(photos.map { ($0, $0.peers[peer][quality]) })
    }

    /// Peer `peer` at the same size as our point: per photo the quality whose file is
    /// nearest ours (`PhotoMeasurement.nearestQuality`), then means over the photos.
    public func sameSize(peer: Int, curve: Int, point: Int) -> Mean {
        mean(photos.map { m in (m, m.peers[peer][m.nearestQuality(peer: peer, bytes: m.ours[curve][point].bytes)]) })
    }

    private func mean(_ points: [(PhotoMeasurement, PhotoPoint)]) -> Mean {
        let n = Double(max(1, points.count))
        return Mean(bytes: points.reduce(0) { $0 + Double($1.1.bytes) } / n,
                    bitsPerPixel: points.reduce(0) { $0 + $1.0.bitsPerPixel($1.1.bytes) } / n,
                    psnr: points.reduce(0) { $0 + $1.1.psnr } / n)
    }
}

/// The photos' shared bookkeeping: the next photo, the results, the errors, progress.
// @unchecked: every mutable field is read and written only under `lock`.
private final class SharedState: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = 0
    private var measurements: [PhotoMeasurement?]
    private var errors: [Int: Error] = [:]
    private let progress: (String) -> Void

    init(count: Int, progress: @escaping (String) -> Void) {
        measurements = Array(repeating: nil, count: count)
        self.progress = progress
    }

    /// The next photo to measure; nil when all are taken or one has failed.
    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard taken < measurements.count, errors.isEmpty else { return nil }
        taken += 1
        return taken - 1
    }

    func store(_ m: PhotoMeasurement, at i: Int) {
        lock.lock()
        defer { lock.unlock() }
        measurements[i] = m
    }

    func fail(_ error: Error, at i: Int) {
        lock.lock()
        defer { lock.unlock() }
        errors[i] = error
    }

    func report(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        progress(line)
    }

    /// Every measurement, or the error of the first photo that failed.
    func results() throws -> [PhotoMeasurement] {
        lock.lock()
        defer { lock.unlock() }
        if let first = errors.keys.min() { throw errors[first]! }
        return measurements.map { $0! }
    }
}
