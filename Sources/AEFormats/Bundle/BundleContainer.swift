import Foundation

/// The container layer of a model bundle: header, metadata bytes, tensor table and
/// data section, with all structural checks and checksums (Specs/model-bundle.md).
/// It knows nothing about networks; `ModelBundle` gives the contents their meaning.
public struct BundleContainer {
    /// One tensor table entry (Specs/model-bundle.md, "Tensor table").
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var elementType: BundleElementType
        public var shape: [Int]
        /// Byte offset from the start of the data section (a multiple of 64).
        public var offset: UInt64
        /// Byte length: element count times element size.
        public var length: UInt64

        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// A tensor to be stored: name, element type, shape and its encoded bytes.
    public struct Payload {
        public var name: String
        public var elementType: BundleElementType
        public var shape: [Int]
        public var bytes: [UInt8]

        public init(name: String, elementType: BundleElementType, shape: [Int], bytes: [UInt8]) {
            self.name = name
            self.elementType = elementType
            self.shape = shape
            self.bytes = bytes
        }
    }

    /// Documented maxima; a reader refuses larger values before allocating anything.
    public enum Limits {
        public static let headerLength = 4096
        public static let metadataLength = 16 << 20
        public static let tableLength = 16 << 20
        public static let tensorCount = 65_536
        public static let rank = 8
        public static let nameLength = 1024
        /// Fixed part of a table entry, before the dimensions and the name.
        public static let entryFixedLength = 24
        /// Whole file, 1 GiB (the reference model takes 2.4 MB): checked against the
        /// file's size before it is read.
        public static let fileLength = 1 << 30
    }

    public let header: BundleHeader
    /// The metadata section's bytes: UTF-8 JSON, possibly followed by spaces.
    public let metadataBytes: [UInt8]
    public let entries: [Entry]
    /// The whole file.
    public let bytes: [UInt8]

    /// The stored bytes of `entry`.
    public func data(of entry: Entry) -> ArraySlice<UInt8> {
        let start = Int(header.dataOffset + entry.offset)
        return bytes[start..<(start + Int(entry.length))]
    }

    /// Float32 values of `entry` (float16 entries are widened exactly).
    public func values(of entry: Entry) -> [Float] {
        entry.elementType.decode(bytes, offset: Int(header.dataOffset + entry.offset), count: entry.elementCount)
    }

    // MARK: - Writing

    /// The bytes of a bundle holding `metadataJSON` and `tensors`, laid out as version 1.0
    /// writes it: header | metadata (padded with spaces to 8 bytes) | table (padded with
    /// zeros to 64) | data (each tensor 64-aligned, zero padding between).
    /// `minorVersion` and `extraHeaderFields` exist to test forward compatibility.
    public static func assemble(metadataJSON: [UInt8], tensors: [Payload], flags: UInt32 = 0,
                                minorVersion: UInt16 = BundleHeader.currentMinorVersion,
                                extraHeaderFields: [UInt8] = []) -> [UInt8] {
        let headerLength = BundleHeader.minimumLength + extraHeaderFields.count
        precondition(extraHeaderFields.count % 4 == 0, "header length must stay a multiple of 4")
        var metadata = metadataJSON
        while metadata.count % 8 != 0 { metadata.append(0x20) }
        let metadataOffset = headerLength
        let tableOffset = metadataOffset + metadata.count

        var dataOffsets: [Int] = []
        var dataLength = 0
        for t in tensors {
            let at = BundleBytes.align(dataLength, BundleHeader.dataAlignment)
            dataOffsets.append(at)
            dataLength = at + t.bytes.count
        }
        var table: [UInt8] = []
        for (t, offset) in zip(tensors, dataOffsets) {
            precondition(t.bytes.count == t.shape.reduce(1, *) * t.elementType.byteSize,
                         "\(t.name): \(t.bytes.count) bytes for shape \(t.shape)")
            let name = Array(t.name.utf8)
            let start = table.count
            let length = BundleBytes.align(Limits.entryFixedLength + 8 * t.shape.count + name.count, 8)
            BundleBytes.append(UInt32(length), to: &table)
            BundleBytes.append(UInt16(name.count), to: &table)
            table.append(t.elementType.rawValue)
            table.append(UInt8(t.shape.count))
            BundleBytes.append(UInt64(offset), to: &table)
            BundleBytes.append(UInt64(t.bytes.count), to: &table)
            for d in t.shape { BundleBytes.append(UInt64(d), to: &table) }
            table += name
            while table.count < start + length { table.append(0) }
        }
        let dataOffset = BundleBytes.align(tableOffset + table.count, BundleHeader.dataAlignment)
        table += [UInt8](repeating: 0, count: dataOffset - tableOffset - table.count)

        var data = [UInt8](repeating: 0, count: dataLength)
        for (t, offset) in zip(tensors, dataOffsets) {
            data.replaceSubrange(offset..<(offset + t.bytes.count), with: t.bytes)
        }
        let header = BundleHeader(
            majorVersion: BundleHeader.currentMajorVersion, minorVersion: minorVersion,
            headerLength: UInt32(headerLength), fileLength: UInt64(dataOffset + dataLength),
            metadataOffset: UInt64(metadataOffset), metadataLength: UInt64(metadata.count),
            tableOffset: UInt64(tableOffset), tableLength: UInt64(table.count),
            dataOffset: UInt64(dataOffset), dataLength: UInt64(dataLength),
            tensorCount: UInt32(tensors.count), flags: flags,
            metadataCRC: Zlib.crc32(metadata), tableCRC: Zlib.crc32(table),
            dataCRC: Zlib.crc32(data))
        return header.encoded(extraFields: extraHeaderFields) + metadata + table + data
    }

    // MARK: - Reading

    /// Reads and checks the bundle at `path`. The header is read and validated
    /// first, so a file that is not a bundle or lies about its size is refused
    /// before the rest is read.
    public static func read(path: String) throws -> BundleContainer {
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
            _ = try parseHeader(prefix, fileSize: fileSize, path: path)
            try handle.seek(toOffset: 0)
            let all = [UInt8](try handle.readToEnd() ?? Data())
            return try parse(all, path: path)
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError.cannotRead(path: path, reason: error.localizedDescription)
        }
    }

    /// The size of the regular file at `path`, or a `cannotRead` error.
    static func fileSize(path: String) throws -> Int {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw BundleError.cannotRead(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw BundleError.cannotRead(path: path, reason: "is a directory")
        }
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw BundleError.cannotRead(path: path, reason: error.localizedDescription)
        }
    }

    /// Checks the header found at the start of `prefix` (the first bytes of a file of
    /// `fileSize` bytes): signature, version, header length and CRC, file length and
    /// section bounds and limits. Does not look at the sections' contents.
    public static func parseHeader(_ prefix: [UInt8], fileSize: Int, path: String) throws -> BundleHeader {
        let magic = BundleHeader.magic
        let minimum = BundleHeader.minimumLength
        let shown = min(prefix.count, 8)
        guard Array(prefix[0..<shown]) == Array(magic[0..<shown]) else {
            if prefix.count >= 4 && Array(prefix[0..<4]) == Array(magic[0..<4]) {
                throw BundleError.notABundle(path: path, reason:
                    "damaged signature \(hexBytes(prefix[0..<shown])) (was it transferred in text mode?)")
            }
            throw BundleError.notABundle(path: path, reason:
                "bad magic \(hexBytes(prefix[0..<shown])), expected \(hexBytes(magic[...]))")
        }
        guard prefix.count >= 12 else {
            throw BundleError.truncated(path: path, expected: minimum, found: fileSize)
        }
        let major = BundleBytes.u16(prefix, 8), minor = BundleBytes.u16(prefix, 10)
        guard major == BundleHeader.currentMajorVersion else {
            throw BundleError.unsupportedVersion(path: path, major: Int(major), minor: Int(minor),
                                                 supportedMajor: Int(BundleHeader.currentMajorVersion))
        }
        guard prefix.count >= 16 else {
            throw BundleError.truncated(path: path, expected: minimum, found: fileSize)
        }
        let headerLength = Int(BundleBytes.u32(prefix, 12))
        guard headerLength <= Limits.headerLength else {
            throw BundleError.limitExceeded(path: path, what: "header length", value: UInt64(headerLength),
                                            limit: UInt64(Limits.headerLength))
        }
        guard headerLength >= minimum, headerLength % 4 == 0 else {
            throw BundleError.malformedHeader(path: path, reason:
                "header length \(headerLength) is not a multiple of 4 of at least \(minimum)")
        }
        guard prefix.count >= headerLength else {
            // Report the whole file's length when the (unchecked) field is plausible.
            let claimed = prefix.count >= 24 ? BundleBytes.u64(prefix, 16) : 0
            let expected = claimed > UInt64(headerLength) && claimed < UInt64(Int.max) ? Int(claimed) : headerLength
            throw BundleError.truncated(path: path, expected: expected, found: fileSize)
        }
        let stored = BundleBytes.u32(prefix, headerLength - 4)
        let computed = prefix.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<(headerLength - 4)])) }
        guard stored == computed else {
            throw BundleError.checksumMismatch(path: path, section: "header", stored: stored, computed: computed)
        }
        let h = BundleHeader(decoding: prefix)
        if h.fileLength > UInt64(fileSize) {
            throw BundleError.truncated(path: path, expected: Int(clamping: h.fileLength), found: fileSize)
        }
        if h.fileLength < UInt64(fileSize) {
            throw BundleError.malformedHeader(path: path, reason:
                "\(UInt64(fileSize) - h.fileLength) unexpected bytes after the end of the bundle (\(h.fileLength) bytes)")
        }
        func limit(_ what: String, _ value: UInt64, _ max: Int) throws {
            if value > UInt64(max) {
                throw BundleError.limitExceeded(path: path, what: what, value: value, limit: UInt64(max))
            }
        }
        try limit("file length", h.fileLength, Limits.fileLength)
        try limit("metadata length", h.metadataLength, Limits.metadataLength)
        try limit("tensor table length", h.tableLength, Limits.tableLength)
        try limit("tensor count", UInt64(h.tensorCount), Limits.tensorCount)
        let sections = [("metadata", h.metadataOffset, h.metadataLength),
                        ("tensor table", h.tableOffset, h.tableLength),
                        ("tensor data", h.dataOffset, h.dataLength)]
        for (name, offset, length) in sections {
            guard offset >= UInt64(headerLength), offset <= h.fileLength, length <= h.fileLength - offset else {
                throw BundleError.malformedHeader(path: path, reason:
                    "\(name) section [\(offset), +\(length)) lies outside the file's \(h.fileLength) bytes after the \(headerLength)-byte header")
            }
        }
        for i in 0..<sections.count { for j in (i + 1)..<sections.count {
            let (a, b) = (sections[i], sections[j])
            if a.1 < b.1 + b.2 && b.1 < a.1 + a.2 {
                throw BundleError.malformedHeader(path: path, reason: "\(a.0) and \(b.0) sections overlap")
            }
        } }
        guard h.dataOffset % UInt64(BundleHeader.dataAlignment) == 0 else {
            throw BundleError.malformedHeader(path: path, reason:
                "data offset \(h.dataOffset) is not a multiple of \(BundleHeader.dataAlignment)")
        }
        return h
    }

    /// Parses and checks a whole bundle held in memory.
    public static func parse(_ bytes: [UInt8], path: String) throws -> BundleContainer {
        let h = try parseHeader(bytes, fileSize: bytes.count, path: path)
        func section(_ offset: UInt64, _ length: UInt64) -> ArraySlice<UInt8> {
            bytes[Int(offset)..<Int(offset + length)]
        }
        for (name, offset, length, stored) in [("metadata", h.metadataOffset, h.metadataLength, h.metadataCRC),
                                               ("tensor table", h.tableOffset, h.tableLength, h.tableCRC),
                                               ("tensor data", h.dataOffset, h.dataLength, h.dataCRC)] {
            let computed = section(offset, length).withUnsafeBytes { Zlib.crc32($0) }
            guard computed == stored else {
                throw BundleError.checksumMismatch(path: path, section: name, stored: stored, computed: computed)
            }
        }
        let entries = try parseTable(Array(section(h.tableOffset, h.tableLength)), header: h, path: path)
        return BundleContainer(header: h, metadataBytes: Array(section(h.metadataOffset, h.metadataLength)),
                               entries: entries, bytes: bytes)
    }

    static func parseTable(_ t: [UInt8], header h: BundleHeader, path: String) throws -> [Entry] {
        func fail(_ reason: String) -> BundleError { .tensorTableInconsistent(path: path, reason: reason) }
        var entries: [Entry] = []
        var names = Set<String>()
        var at = 0
        var dataEnd: UInt64 = 0
        for index in 0..<Int(h.tensorCount) {
            guard t.count - at >= Limits.entryFixedLength else {
                throw fail("entry \(index) of \(h.tensorCount) runs past the end of the \(t.count)-byte table")
            }
            let entryLength = Int(BundleBytes.u32(t, at))
            let nameLength = Int(BundleBytes.u16(t, at + 4))
            let typeCode = t[at + 6]
            let rank = Int(t[at + 7])
            let offset = BundleBytes.u64(t, at + 8)
            let length = BundleBytes.u64(t, at + 16)
            guard rank <= Limits.rank else { throw fail("entry \(index) has rank \(rank), more than \(Limits.rank)") }
            guard nameLength > 0, nameLength <= Limits.nameLength else {
                throw fail("entry \(index) has a name of \(nameLength) bytes (1 to \(Limits.nameLength) allowed)")
            }
            let needed = Limits.entryFixedLength + 8 * rank + nameLength
            guard entryLength >= needed, entryLength % 8 == 0 else {
                throw fail("entry \(index) is \(entryLength) bytes; it needs a multiple of 8 of at least \(needed)")
            }
            guard t.count - at >= entryLength else {
                throw fail("entry \(index) runs past the end of the \(t.count)-byte table")
            }
            var shape: [Int] = []
            var elements: UInt64 = 1
            for d in 0..<rank {
                let dim = BundleBytes.u64(t, at + Limits.entryFixedLength + 8 * d)
                // Every tensor lies inside the data section, so no dimension can exceed its length.
                guard dim <= h.dataLength else { throw fail("entry \(index) has dimension \(dim), larger than the data section") }
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                elements = product
                guard !overflow, elements <= h.dataLength else { throw fail("entry \(index)'s shape exceeds the data section") }
                shape.append(Int(dim))
            }
            let nameStart = at + Limits.entryFixedLength + 8 * rank
            guard let name = String(validating: t[nameStart..<(nameStart + nameLength)], as: UTF8.self) else {
                throw fail("entry \(index)'s name is not valid UTF-8")
            }
            guard let type = BundleElementType(rawValue: typeCode) else {
                throw fail("tensor \(name) has unknown element type code \(typeCode) (1 = float32, 2 = float16)")
            }
            guard names.insert(name).inserted else { throw fail("tensor \(name) appears twice") }
            guard length == elements * UInt64(type.byteSize) else {
                throw fail("tensor \(name) of shape \(shape) and type \(type.name) should take \(elements * UInt64(type.byteSize)) bytes, the table says \(length)")
            }
            guard offset % UInt64(BundleHeader.dataAlignment) == 0 else {
                throw fail("tensor \(name) starts at data offset \(offset), not a multiple of \(BundleHeader.dataAlignment)")
            }
            guard offset >= dataEnd else {
                throw fail("tensor \(name) at data offset \(offset) overlaps or precedes the tensor before it (which ends at \(dataEnd))")
            }
            guard offset <= h.dataLength, length <= h.dataLength - offset else {
                throw fail("tensor \(name) [\(offset), +\(length)) runs past the \(h.dataLength)-byte data section")
            }
            dataEnd = offset + length
            entries.append(Entry(name: name, elementType: type, shape: shape, offset: offset, length: length))
            at += entryLength
        }
        return entries
    }

    static func hexBytes(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { SHA256.hex([$0]) }.joined(separator: " ")
    }
}
