import AEFormats

/// The end-of-run note for photos encoded with the default model: the default
/// (`EmbeddedModels.defaultName`, svhn-64) codes 32x32 digit tiles, which on a photograph
/// gives blocky, blurred pictures; when the photo codec's levels are built in, the note
/// points to them. Only when no `--model` was given, so an explicit choice stays quiet.
enum DefaultModelNote {
    /// Images with both sides at least this long count as photos.
    static let photoSide = 128

    /// The note, or nil (decoding, a model given, no photo among `results`, or no photo
    /// levels built in). `photoLevels` gives the level numbers of the built-in quality set
    /// `photo` (by the bundles' metadata, as `-q` finds them); asked only when a photo was
    /// coded with the default model.
    static func text(direction: CodecJob.Direction, model: String?, results: [CodecJob.FileResult],
                     photoLevels: () -> [Int] = { ModelCatalog().qualitySet(named: "photo")?.numbers ?? [] }) -> String? {
        guard direction == .encode, model == nil else { return nil }
        let photos = results.filter { min($0.width, $0.height) >= photoSide }
        guard let photo = photos.first else { return nil }
        let levels = photoLevels()
        guard let lowest = levels.first, let highest = levels.last else { return nil }
        let which = photos.count == 1 ? photo.task.input.displayName : "\(photos.count) of the images"
        let range = lowest == highest ? "\(lowest)" : "\(lowest)-\(highest)"
        return "note: \(which) coded with the default model \(EmbeddedModels.defaultName), which codes 32x32 digit tiles; "
            + "for photos, --model photo (the photo codec, -q \(range)) gives far better pictures at the same size"
    }
}
