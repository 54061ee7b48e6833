/// The fixed header at the start of a model bundle (Specs/model-bundle.md, "Header").
/// All integers little-endian. Version 1.0 writes 96 bytes:
///
///     0  magic (8)          16 fileLength (u64)       56 dataOffset (u64)      80 metadataCRC (u32)
///     8  majorVersion (u16) 24 metadataOffset (u64)   64 dataLength (u64)      84 tableCRC (u32)
///     10 minorVersion (u16) 32 metadataLength (u64)   72 tensorCount (u32)     88 dataCRC (u32)
///     12 headerLength (u32) 40 tableOffset (u64)      76 flags (u32)           92 headerCRC (u32)
///                           48 tableLength (u64)
///
/// Later minor versions may lengthen the header; the header CRC is always its last 4 bytes.
public struct BundleHeader: Equatable, Sendable {
    /// "\x89AEM\r\n\x1a\n": a non-ASCII first byte, the letters, then PNG's line-ending traps.
    public static let magic: [UInt8] = [0x89, 0x41, 0x45, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A]
    public static let currentMajorVersion: UInt16 = 1
    public static let currentMinorVersion: UInt16 = 2
    /// Header length written by this version and the minimum a 1.x reader accepts.
    public static let minimumLength = 96
    /// Alignment of the data section and of every tensor inside it.
    public static let dataAlignment = 64
    /// `flags` bit 0: the bundle is a training checkpoint (holds optimizer state).
    public static let checkpointFlag: UInt32 = 1

    public var majorVersion: UInt16
    public var minorVersion: UInt16
    public var headerLength: UInt32
    public var fileLength: UInt64
    public var metadataOffset: UInt64
    public var metadataLength: UInt64
    public var tableOffset: UInt64
    public var tableLength: UInt64
    public var dataOffset: UInt64
    public var dataLength: UInt64
    public var tensorCount: UInt32
    public var flags: UInt32
    public var metadataCRC: UInt32
    public var tableCRC: UInt32
    public var dataCRC: UInt32
    public var headerCRC: UInt32

    public var isCheckpoint: Bool { flags & Self.checkpointFlag != 0 }
    public var version: String { "\(majorVersion).\(minorVersion)" }

    /// Decodes the known fields of `bytes` (at least `minimumLength` long); no validation.
    init(decoding b: [UInt8]) {
        majorVersion = BundleBytes.u16(b, 8)
        minorVersion = BundleBytes.u16(b, 10)
        headerLength = BundleBytes.u32(b, 12)
        fileLength = BundleBytes.u64(b, 16)
        metadataOffset = BundleBytes.u64(b, 24)
        metadataLength = BundleBytes.u64(b, 32)
        tableOffset = BundleBytes.u64(b, 40)
        tableLength = BundleBytes.u64(b, 48)
        dataOffset = BundleBytes.u64(b, 56)
        dataLength = BundleBytes.u64(b, 64)
        tensorCount = BundleBytes.u32(b, 72)
        flags = BundleBytes.u32(b, 76)
        metadataCRC = BundleBytes.u32(b, 80)
        tableCRC = BundleBytes.u32(b, 84)
        dataCRC = BundleBytes.u32(b, 88)
        headerCRC = BundleBytes.u32(b, Int(headerLength) - 4)
    }

    init(majorVersion: UInt16, minorVersion: UInt16, headerLength: UInt32, fileLength: UInt64,
         metadataOffset: UInt64, metadataLength: UInt64, tableOffset: UInt64, tableLength: UInt64,
         dataOffset: UInt64, dataLength: UInt64, tensorCount: UInt32, flags: UInt32,
         metadataCRC: UInt32, tableCRC: UInt32, dataCRC: UInt32) {
        self.majorVersion = majorVersion
        self.minorVersion = minorVersion
        self.headerLength = headerLength
        self.fileLength = fileLength
        self.metadataOffset = metadataOffset
        self.metadataLength = metadataLength
        self.tableOffset = tableOffset
        self.tableLength = tableLength
        self.dataOffset = dataOffset
        self.dataLength = dataLength
        self.tensorCount = tensorCount
        self.flags = flags
        self.metadataCRC = metadataCRC
        self.tableCRC = tableCRC
        self.dataCRC = dataCRC
        self.headerCRC = 0
    }

    /// The header's bytes with `extraFields` (a later minor version's additions)
    /// between the 1.0 fields and the header CRC, which this computes.
    func encoded(extraFields: [UInt8] = []) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: Int(headerLength))
        precondition(Int(headerLength) == Self.minimumLength + extraFields.count)
        for i in 0..<8 { b[i] = Self.magic[i] }
        BundleBytes.put(majorVersion, into: &b, at: 8)
        BundleBytes.put(minorVersion, into: &b, at: 10)
        BundleBytes.put(headerLength, into: &b, at: 12)
        BundleBytes.put(fileLength, into: &b, at: 16)
        BundleBytes.put(metadataOffset, into: &b, at: 24)
        BundleBytes.put(metadataLength, into: &b, at: 32)
        BundleBytes.put(tableOffset, into: &b, at: 40)
        BundleBytes.put(tableLength, into: &b, at: 48)
        BundleBytes.put(dataOffset, into: &b, at: 56)
        BundleBytes.put(dataLength, into: &b, at: 64)
        BundleBytes.put(tensorCount, into: &b, at: 72)
        BundleBytes.put(flags, into: &b, at: 76)
        BundleBytes.put(metadataCRC, into: &b, at: 80)
        BundleBytes.put(tableCRC, into: &b, at: 84)
        BundleBytes.put(dataCRC, into: &b, at: 88)
        for (i, byte) in extraFields.enumerated() { b[92 + i] = byte }
        let crc = b.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<(b.count - 4)])) }
        BundleBytes.put(crc, into: &b, at: b.count - 4)
        return b
    }
}
