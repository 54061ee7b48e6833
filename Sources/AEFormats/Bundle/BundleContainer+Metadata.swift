import Foundation

extension BundleContainer {
    /// The metadata of the bundle at `path`, reading only its header and metadata section
    /// (both checked: signature, version, sizes, header and metadata checksums) and not its
    /// tensors, so a folder of large bundles can be surveyed cheaply (`ModelCatalog`).
    /// The tensors are checked when the bundle is read to be used.
    public static func readMetadata(path: String) throws -> (header: BundleHeader, metadata: BundleMetadata) {
        let fileSize = try Self.fileSize(path: path)
        guard fileSize <= Limits.fileLength else {
            throw BundleError.limitExceeded(path: path, what: "file size", value: UInt64(fileSize),
                                            limit: UInt64(Limits.fileLength))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BundleError.cannotRead(path: path, reason: "permission denied")
        }
        defer { try? handle.close() }
        do {
            let prefix = [UInt8](try handle.read(upToCount: Limits.headerLength) ?? Data())
            let header = try parseHeader(prefix, fileSize: fileSize, path: path)
            try handle.seek(toOffset: header.metadataOffset)
            let section = [UInt8](try handle.read(upToCount: Int(header.metadataLength)) ?? Data())
            return (header, try metadata(section, header: header, path: path))
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError.cannotRead(path: path, reason: error.localizedDescription)
        }
    }

    /// The metadata of a bundle held in memory (`bytes`), checked as `readMetadata(path:)` checks it.
    public static func readMetadata(_ bytes: [UInt8], path: String) throws -> (header: BundleHeader, metadata: BundleMetadata) {
        let header = try parseHeader(bytes, fileSize: bytes.count, path: path)
        let start = Int(header.metadataOffset)
        let section = Array(bytes[start..<(start + Int(header.metadataLength))])
        return (header, try metadata(section, header: header, path: path))
    }

    /// The metadata section's JSON, after its checksum and the checkpoint markers.
    private static func metadata(_ section: [UInt8], header: BundleHeader, path: String) throws -> BundleMetadata {
        guard section.count == Int(header.metadataLength) else {
            throw BundleError.truncated(path: path, expected: Int(header.metadataOffset + header.metadataLength),
                                        found: Int(header.metadataOffset) + section.count)
        }
        let computed = Zlib.crc32(section)
        guard computed == header.metadataCRC else {
            throw BundleError.checksumMismatch(path: path, section: "metadata", stored: header.metadataCRC, computed: computed)
        }
        let metadata = try BundleMetadata.decode(section, path: path)
        guard header.isCheckpoint == (metadata.kind == .checkpoint) else {
            throw BundleError.invalidMetadata(path: path, reason:
                "the header \(header.isCheckpoint ? "flags" : "does not flag") a checkpoint but the metadata kind is \"\(metadata.kind.rawValue)\"")
        }
        return metadata
    }
}
