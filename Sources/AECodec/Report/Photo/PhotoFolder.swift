import AEFormats
import Foundation

/// The photos of a folder, for the photo report: its files named `.png`, `.jpg`, `.jpeg`,
/// `.jpe`, `.jfif` or `.webp` (any case), by name; hidden files, subfolders and other files
/// are passed over. Photos are whole images of any size the codec takes, read as RGB (gray
/// expands to R = G = B, alpha is composited onto black, as training crops are).
public struct PhotoFolder: Sendable {
    public let path: String
    /// The photos' paths, sorted by name.
    public let files: [String]

    /// The photos of `path`, the first `limit` of them by name. Throws `ToolError` for a
    /// folder that does not exist, is not a folder, cannot be listed or holds no photos.
    public init(path: String, limit: Int? = nil) throws {
        let kind = FileBytes.kind(of: path)
        guard kind.exists else { throw ToolError(path: path, reason: "no such folder (--photos takes a folder of PNG, JPEG or WebP photos)") }
        guard kind.isFolder else { throw ToolError(path: path, reason: "is not a folder (--photos takes a folder of PNG, JPEG or WebP photos)") }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ToolError(path: path, reason: FileErrorText.cannotRead("cannot list the folder"))
        }
        let base = path.hasSuffix("/") ? path : path + "/"
        var files = names.sorted()
            .filter { !$0.hasPrefix(".") && ImageFormat.fileExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .map { base + $0 }
            .filter(FileBytes.isRegularFile)
        if let limit { files = Array(files.prefix(limit)) }
        guard !files.isEmpty else {
            throw ToolError(path: path, reason: "holds no photos (files named .png, .jpg, .jpeg, .jpe, .jfif or .webp)")
        }
        self.path = path
        self.files = files
    }

    /// The file name of photo `index`, for the page.
    public func name(_ index: Int) -> String { (files[index] as NSString).lastPathComponent }

    /// Photo `index` as 8-bit RGB. Throws `CodecError.unreadableImage` naming the file for
    /// anything that is not a PNG, JPEG or WebP image, and `CodecError.imageTooLarge` for an
    /// image over the codec's limits (checked from the header, before decoding).
    public func read(_ index: Int) throws -> PNGImage {
        let path = files[index]
        let bytes = try FileBytes.read(path, limit: PNGImage.maxFileBytes)
        do {
            let header = try ImageFile.header(of: bytes)
            guard ImageCodec.accepts(width: header.width, height: header.height) else {
                throw CodecError.imageTooLarge(path: path, width: header.width, height: header.height)
            }
            return try ImageFile.decodeRGB(bytes, maxPixels: ImageCodec.maxPixels)
        } catch let error as CodecError {
            throw error
        } catch {
            throw CodecError.unreadableImage(path: path, reason: "\(error)")
        }
    }
}
