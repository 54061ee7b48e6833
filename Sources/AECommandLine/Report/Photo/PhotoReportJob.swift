import AEProcess
import AECodec
import AEFormats
import Foundation

/// `aetrain report --photos DIR`: our whole-image codec on a folder of photos against JPEG
/// and WebP (`PhotoEvaluation`), written as a report folder: `index.html` with the
/// rate-distortion curves (inline SVG), the table at the same size and zoomed crops
/// (`PhotoReportPage`), the crops' PNG files, `figures.csv` and `images.csv`
/// (`PhotoReportCSV`). Like `ReportJob`'s, the folder appears whole or not at all.
public struct PhotoReportJob {
    public struct Settings: Sendable {
        /// Our curves: a quality set's name (its levels), a bundle file or built-in name (one
        /// point), or bundles joined by `+` (one curve).
        public var models: [String] = []
        /// The folder of photos.
        public var photos = ""
        public var output = ""
        /// Use only the first N photos by name.
        public var limit: Int?
        /// Folders searched for quality sets' levels after the built-in models.
        public var modelSearchPath: [String] = []
        /// Photos shown as zoomed crops (spread over the folder), and the crops' side.
        public var cropPhotos = 3
        public var cropSize = 128
        /// The point of the first curve the crops show (1-based); nil: its middle one (the
        /// level `aeenc --model SET` uses without -q).
        public var cropPoint: Int?
        /// The peers' qualities.
        public var grid = PeerCodec.defaultGrid
        public var threads = 1
        public var force = false
        public init() {}
    }

    public struct Result {
        public var folder: String
        public var evaluation: PhotoEvaluation
        public var files: [String]
    }

    public let settings: Settings

    public init(settings: Settings) { self.settings = settings }

    /// The per-photo figures (the curves' means are in `ReportJob.figuresFile`).
    public static let imagesFile = "images.csv"
    /// The crops shown for photo `k` (1-based): "original", "ours" or a peer's raw name.
    static func cropFile(_ k: Int, _ what: String) -> String { "crop-\(k)-\(what).png" }
    /// How many times the crops are enlarged (nearest neighbour).
    static let cropScale = 2

    public func run(output: TerminalOutput) throws -> Result {
        let folder = settings.output
        let replacing = try ReportJob.checkOutput(folder, force: settings.force)
        guard !settings.models.isEmpty else {
            throw ToolError(path: settings.photos, reason: "no models given: name a quality set, bundles, or bundles joined by +")
        }
        let curves = try Self.curves(settings.models, folders: settings.modelSearchPath)
        let cropPoint = (settings.cropPoint ?? (curves[0].points.count / 2 + 1)) - 1
        guard curves[0].points.indices.contains(cropPoint) else {
            throw ToolError(path: "--crop-level \(cropPoint + 1)", reason: "\(curves[0].name) has \(curves[0].points.count) point(s)")
        }
        let photos = try PhotoFolder(path: settings.photos, limit: settings.limit)

        var measure = PhotoEvaluation.Settings()
        measure.grid = settings.grid
        measure.cropPhotos = Set(ReportJob.spread(settings.cropPhotos, over: photos.files.count))
        measure.cropSize = settings.cropSize
        measure.threads = settings.threads
        let evaluation = try PhotoEvaluation.measure(photos, curves: curves, settings: measure) { output.status($0) }
        for line in Self.summary(evaluation) { output.line(line) }

        var files: [(name: String, bytes: [UInt8])] = []
        var shown: [PhotoReportPage.CropRow] = []
        for (i, photo) in evaluation.photos.enumerated() {
            guard let crops = photo.crops else { continue }
            let k = shown.count + 1
            let row = PhotoReportPage.CropRow(photo: i, number: k, point: cropPoint, evaluation: evaluation)
            for (what, image) in row.pictures(crops) {
                let enlarged = ReportPictures.grid(rows: [[image]], scale: Self.cropScale, gap: 0)
                files.append((Self.cropFile(k, what), try enlarged.encoded()))
            }
            shown.append(row)
        }
        let page = PhotoReportPage(evaluation: evaluation, photosDescription: settings.photos, cropRows: shown,
                                   cropPoint: cropPoint, cropScale: Self.cropScale, created: BundleMetadata.timestamp())
        files.append((ReportJob.pageFile, Array(page.html().utf8)))
        files.append((ReportJob.figuresFile, Array(PhotoReportCSV.figures(evaluation).utf8)))
        files.append((Self.imagesFile, Array(PhotoReportCSV.images(evaluation).utf8)))
        try ReportJob.publish(files, as: folder, replacing: replacing)
        return Result(folder: folder, evaluation: evaluation, files: files.map(\.name))
    }

    /// Our curves from the model arguments: a quality set (its levels, "level N"), a
    /// bundle file or built-in model (one point), or such models joined by `+` (one
    /// curve, in the order given). Every model needs entropy tables (it writes coded files).
    static func curves(_ specs: [String], folders: [String]) throws -> [PhotoEvaluation.Curve] {
        func short(_ name: String) -> String {
            name.hasPrefix("built-in ") ? String(name.dropFirst("built-in ".count))
                : name.contains("/") ? (name as NSString).lastPathComponent : name
        }
        func checked(_ bundle: ModelBundle, _ name: String) throws -> ModelBundle {
            guard try EntropyTables(bundle: bundle) != nil else {
                throw ToolError(path: name, reason: "has no entropy tables: the photo report measures entropy-coded "
                    + "files, which need a model trained for rate and distortion (aetrain --lambda)")
            }
            return bundle
        }
        return try specs.map { spec in
            let parts = FileBytes.kind(of: spec).exists ? [spec] : spec.split(separator: "+").map(String.init)
            if parts.count > 1 {
                let points = try parts.map { part -> PhotoEvaluation.Curve.Point in
                    guard case let .model(bundle, name) = try ModelLookup.resolve(part, folders: folders) else {
                        throw ToolError(path: spec, reason: "\(part) is a quality set: give a set alone, not joined by +")
                    }
                    return .init(label: short(part), bundle: try checked(bundle, name), source: name)
                }
                return PhotoEvaluation.Curve(name: parts.map(short).joined(separator: "+"), points: points)
            }
            switch try ModelLookup.resolve(spec, folders: folders) {
            case let .model(bundle, name):
                return PhotoEvaluation.Curve(name: short(spec), points: [.init(label: short(spec), bundle: try checked(bundle, name), source: name)])
            case let .set(set):
                let points = try set.levels.map { entry -> PhotoEvaluation.Curve.Point in
                    .init(label: "level \(entry.metadata.quality?.level ?? 0)", bundle: try checked(try entry.bundle(), entry.name),
                          source: entry.name)
                }
                return PhotoEvaluation.Curve(name: set.name, points: points)
            }
        }
    }

    /// One line per point of ours: its means and the peers' PSNR at the same size.
    static func summary(_ e: PhotoEvaluation) -> [String] {
        var lines: [String] = []
        for (c, curve) in e.curves.enumerated() {
            for p in curve.points.indices {
                let m = e.mean(curve: c, point: p)
                var line = "\(curve.title(p)): " + String(format: "%.4f bpp, %.2f dB", m.bitsPerPixel, m.psnr)
                for k in e.peers.indices {
                    let s = e.sameSize(peer: k, curve: c, point: p)
                    line += String(format: "; %@ at the same size %.4f bpp, %.2f dB", e.peers[k].name, s.bitsPerPixel, s.psnr)
                }
                lines.append(line + " (\(e.photos.count) photos)")
            }
        }
        return lines
    }
}
