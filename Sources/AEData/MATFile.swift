import AEFormats
import AENet

/// Reads 32x32 RGB images from a MATLAB MAT-file, version 5 format (what MATLAB
/// writes with `-v6` and `-v7`, and scipy's `savemat`): the layout of the SVHN
/// cropped-digit files (`train_32x32.mat`: variable `X`, 32 x 32 x 3 x N).
///
/// Supported: both byte orders ("IM" little-endian and "MI" big-endian files),
/// plain (miMATRIX) and zlib-compressed (miCOMPRESSED) variables, the small data
/// element format, and `X` of class uint8, or double/single holding 0...255 values
/// (rounded to the nearest integer), stored in any numeric MAT type (MATLAB stores
/// doubles in the smallest integer type that fits). Refused with a clear message:
/// MAT v7.3 (HDF5) files, MAT v4 files, a missing `X`, any other shape, complex or
/// sparse `X`, out-of-range values, truncated or corrupt files. Every size field is
/// checked against the bytes that remain before anything is allocated, and
/// compressed variables never decompress past their declared size.
///
/// `X(r, c, ch, i)` (MATLAB's 1-based row, column, channel, image, stored
/// column-major) becomes pixel (i, y = r, x = c, ch) of the NHWC image set.
public struct MATFile: Sendable {
    /// Byte order of the file's numbers ("IM": little-endian, "MI": big-endian).
    public enum ByteOrder: String, Sendable { case littleEndian = "little-endian", bigEndian = "big-endian" }

    /// The images of the variable, N x 32 x 32 x 3, labelled when the file has the label
    /// variable (`y`; see `MATLabels`).
    public let images: ImageSet
    /// Names of all variables in the file, in file order.
    public let variableNames: [String]
    /// MATLAB class of the image variable: "uint8", "double" or "single".
    public let imageClass: String
    /// Whether the image variable was stored zlib-compressed (miCOMPRESSED).
    public let compressed: Bool
    public let byteOrder: ByteOrder

    /// The image height, width and channels this reader accepts.
    public static let imageDims = [32, 32, 3]

    /// Reads the file at `path`.
    public init(path: String, variable: String = "X", labelVariable: String = "y") throws {
        try self.init(bytes: try DataSourceError.reading(path), path: path, variable: variable, labelVariable: labelVariable)
    }

    /// Parses a MAT-file already in memory; `path` only labels errors.
    public init(bytes: [UInt8], path: String = "<memory>", variable: String = "X", labelVariable: String = "y") throws {
        let result = try bytes.withUnsafeBytes { raw in
            try MATParser(path: path, variable: variable, labelVariable: labelVariable).parse(raw)
        }
        if let labels = result.labels, labels.count != result.images.count {
            throw DataSourceError.wrongShape(path: path, reason:
                "\(labelVariable) holds \(labels.count) labels for \(result.images.count) images in \(variable)")
        }
        images = result.images.withLabels(result.labels)
        variableNames = result.names
        imageClass = result.imageClass
        compressed = result.compressed
        byteOrder = result.bigEndian ? .bigEndian : .littleEndian
    }

    /// The message for MAT v7.3 files.
    public static let v73Message = "MAT v7.3 (HDF5) files are not supported; re-save with -v7 or -v6"
}

// MARK: - Parser

/// A view of MAT bytes in the file's byte order.
struct MATBytes {
    let raw: UnsafeRawBufferPointer
    let bigEndian: Bool

    var count: Int { raw.count }

    func u16(_ offset: Int) -> UInt16 {
        let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }

    func u32(_ offset: Int) -> UInt32 {
        let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }

    func u64(_ offset: Int) -> UInt64 {
        let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        return bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v)
    }

    /// The numeric value at element `index` of data of MAT type `type` starting at `offset`.
    func value(type: UInt32, at offset: Int, index: Int) -> Double {
        switch type {
        case MIType.int8: return Double(Int8(bitPattern: raw[offset + index]))
        case MIType.uint8: return Double(raw[offset + index])
        case MIType.int16: return Double(Int16(bitPattern: u16(offset + 2 * index)))
        case MIType.uint16: return Double(u16(offset + 2 * index))
        case MIType.int32: return Double(Int32(bitPattern: u32(offset + 4 * index)))
        case MIType.uint32: return Double(u32(offset + 4 * index))
        case MIType.single: return Double(Float(bitPattern: u32(offset + 4 * index)))
        case MIType.double: return Double(bitPattern: u64(offset + 8 * index))
        case MIType.int64: return Double(Int64(bitPattern: u64(offset + 8 * index)))
        case MIType.uint64: return Double(u64(offset + 8 * index))
        default: return .nan
        }
    }
}

/// One data element tag: its type, payload position and size, and where the next element starts.
struct MATTag {
    var type: UInt32
    var size: Int
    var dataOffset: Int
    var next: Int
}

/// The header of a miMATRIX element: array flags, dimensions, name.
struct MatrixHeader {
    var classID: UInt8
    var flags: UInt8
    var dims: [Int]
    var name: String
    /// Offset of the first element after the name (the real part, for numeric arrays).
    var bodyOffset: Int
    var end: Int
}

struct MATParser {
    let path: String
    let variable: String
    /// The labels' variable, read when present.
    var labelVariable: String? = nil

    struct Result {
        var images: ImageSet
        var labels: [UInt8]?
        var names: [String]
        var imageClass: String
        var compressed: Bool
        var bigEndian: Bool
    }

    private static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    func corrupt(_ reason: String) -> DataSourceError { .corrupt(path: path, reason: reason) }

    // MARK: Header and top level

    func parse(_ raw: UnsafeRawBufferPointer) throws -> Result {
        let startsWithMATLAB = raw.count >= 6 && Array(raw[0..<6]) == Array("MATLAB".utf8)
        let hdf5At512 = raw.count >= 520 && Array(raw[512..<520]) == Self.hdf5Signature
        if raw.count >= 8 && Array(raw[0..<8]) == Self.hdf5Signature {
            throw DataSourceError.unsupportedFormat(
                path: path, reason: "an HDF5 file, not a MAT v5 file; " + MATFile.v73Message)
        }
        guard startsWithMATLAB else {
            throw DataSourceError.unrecognizedFormat(
                path: path, reason: "not a MAT v5 file (no 'MATLAB 5.0 MAT-file' header text)")
        }
        if hdf5At512 || (raw.count >= 10 && Array(raw[0..<10]) == Array("MATLAB 7.3".utf8)) {
            throw DataSourceError.unsupportedFormat(path: path, reason: MATFile.v73Message)
        }
        guard raw.count >= 128 else {
            throw corrupt("the file is \(raw.count) bytes, shorter than the 128-byte MAT header")
        }
        let bigEndian: Bool
        switch (raw[126], raw[127]) {
        case (UInt8(ascii: "I"), UInt8(ascii: "M")): bigEndian = false
        case (UInt8(ascii: "M"), UInt8(ascii: "I")): bigEndian = true
        default:
            let version = UInt16(raw[124]) | UInt16(raw[125]) << 8
            if version == 0x0200 || version == 0x0002 {
                throw DataSourceError.unsupportedFormat(path: path, reason: MATFile.v73Message)
            }
            throw corrupt("bad endian indicator in the MAT header (expected 'IM' or 'MI')")
        }
        let bytes = MATBytes(raw: raw, bigEndian: bigEndian)
        let version = bytes.u16(124)
        if version == 0x0200 {
            throw DataSourceError.unsupportedFormat(path: path, reason: MATFile.v73Message)
        }
        guard version == 0x0100 else {
            throw DataSourceError.unsupportedFormat(
                path: path, reason: "MAT-file version 0x\(String(version, radix: 16)) is not supported (expected 0x0100, MAT v5)")
        }

        var names: [String] = []
        var found: (images: ImageSet, imageClass: String, compressed: Bool)?
        var labels: [UInt8]?
        var position = 128
        while position < raw.count {
            if raw.count - position < 8 && raw[position...].allSatisfy({ $0 == 0 }) { break }  // zero padding
            let tag = try readTag(bytes, at: position, end: raw.count, context: "top level")
            let payload = UnsafeRawBufferPointer(rebasing: raw[tag.dataOffset..<(tag.dataOffset + tag.size)])
            switch tag.type {
            case MIType.compressed:
                let context = "compressed variable at offset \(position)"
                let (name, images) = try compressedVariable(payload, bigEndian: bigEndian,
                                                            wantImages: found == nil, context: context)
                names.append(name)
                if let images = images { found = (images.images, images.imageClass, true) }
                if name == labelVariable, labels == nil {
                    labels = try compressedLabels(payload, bigEndian: bigEndian, context: context)
                }
            case MIType.matrix:
                let view = MATBytes(raw: payload, bigEndian: bigEndian)
                let context = "variable at offset \(position)"
                let header = try matrixHeader(view, start: 0, end: payload.count, context: context)
                let name = header?.name ?? ""
                names.append(name)
                if let header = header, name == variable, found == nil {
                    let images = try readImages(view, header: header)
                    found = (images.images, images.imageClass, false)
                }
                if let header = header, name == labelVariable, labels == nil {
                    labels = try readLabels(view, header: header)
                }
            default:
                break  // not a variable; skip it
            }
            position = tag.dataOffset + tag.size
        }
        guard let result = found else {
            throw DataSourceError.missingVariable(path: path, name: variable, found: names)
        }
        return Result(images: result.images, labels: labels, names: names, imageClass: result.imageClass,
                      compressed: result.compressed, bigEndian: bigEndian)
    }

    /// Reads a data element tag at `offset`, checking its size against `end`.
    /// Payloads are padded to 8 bytes inside matrices; `next` accounts for that.
    func readTag(_ bytes: MATBytes, at offset: Int, end: Int, context: String) throws -> MATTag {
        guard end - offset >= 8 else {
            throw corrupt("\(context): data element tag at offset \(offset) is cut off (\(max(0, end - offset)) of 8 bytes)")
        }
        let first = bytes.u32(offset)
        if first >> 16 != 0 {
            // Small data element: size in the upper 16 bits, type in the lower, data in the next 4 bytes.
            let size = Int(first >> 16)
            guard size <= 4 else {
                throw corrupt("\(context): small data element at offset \(offset) declares \(size) bytes (at most 4)")
            }
            return MATTag(type: first & 0xFFFF, size: size, dataOffset: offset + 4, next: offset + 8)
        }
        let size = Int(bytes.u32(offset + 4))
        let remaining = end - offset - 8
        guard size <= remaining else {
            throw corrupt("\(context): data element at offset \(offset) declares \(size) bytes but only \(remaining) remain")
        }
        let padded = (size + 7) & ~7
        return MATTag(type: first, size: size, dataOffset: offset + 8, next: min(end, offset + 8 + padded))
    }

    // MARK: Compressed variables

    /// The name of a miCOMPRESSED variable, and its images if it is the wanted variable.
    func compressedVariable(_ payload: UnsafeRawBufferPointer, bigEndian: Bool, wantImages: Bool,
                            context: String) throws -> (String, (images: ImageSet, imageClass: String)?) {
        func zlibFailure(_ error: Error) -> DataSourceError {
            corrupt("\(context): \(error)")
        }
        let prefix: [UInt8]
        do {
            prefix = try Zlib.decompressPrefix(payload, count: 1024)
        } catch {
            throw zlibFailure(error)
        }
        guard prefix.count >= 8 else {
            throw corrupt("\(context): decompresses to only \(prefix.count) bytes, too short for a variable")
        }
        let (innerType, declared): (UInt32, Int) = prefix.withUnsafeBytes { p in
            let view = MATBytes(raw: p, bigEndian: bigEndian)
            return (view.u32(0), 8 + Int(view.u32(4)))
        }
        guard innerType == MIType.matrix else {
            throw corrupt("\(context): holds \(MIType.name(innerType)), expected miMATRIX")
        }
        guard declared <= payload.count &* Zlib.maxRatio + 64 else {
            throw corrupt("\(context): declares \(declared) bytes, impossible from \(payload.count) compressed bytes")
        }
        // The name usually fits in the prefix; the whole variable is inflated only when needed.
        let name: String? = try? prefix.withUnsafeBytes { p -> String in
            let view = MATBytes(raw: p, bigEndian: bigEndian)
            return try matrixHeader(view, start: 8, end: min(p.count, declared), context: context)?.name ?? ""
        }
        if let name = name, name != variable || !wantImages { return (name, nil) }

        let full: [UInt8]
        do {
            full = try Zlib.inflate(payload, expectedSize: declared, maxSize: declared, allowTrailingData: true).output
        } catch let error as ZlibError {
            if case .sizeMismatch(_, let actual) = error {
                throw corrupt("\(context): decompresses to \(actual) bytes but its miMATRIX tag declares \(declared)")
            }
            throw zlibFailure(error)
        }
        return try full.withUnsafeBytes { p in
            let view = MATBytes(raw: p, bigEndian: bigEndian)
            guard let header = try matrixHeader(view, start: 8, end: declared, context: context) else {
                return ("", nil)
            }
            guard header.name == variable && wantImages else { return (header.name, nil) }
            return (header.name, try readImages(view, header: header))
        }
    }

    // MARK: Matrices

    /// Parses array flags, dimensions and name of the miMATRIX payload in `start..<end`;
    /// nil for an empty matrix element.
    func matrixHeader(_ bytes: MATBytes, start: Int, end: Int, context: String) throws -> MatrixHeader? {
        if start == end { return nil }
        let flagsTag = try readTag(bytes, at: start, end: end, context: context)
        guard flagsTag.type == MIType.uint32, flagsTag.size == 8 else {
            throw corrupt("\(context): array flags are \(MIType.name(flagsTag.type)) of \(flagsTag.size) bytes, expected miUINT32 of 8")
        }
        let flagWord = bytes.u32(flagsTag.dataOffset)
        let classID = UInt8(flagWord & 0xFF)
        let flags = UInt8((flagWord >> 8) & 0xFF)

        let dimsTag = try readTag(bytes, at: flagsTag.next, end: end, context: context)
        guard dimsTag.type == MIType.int32, dimsTag.size % 4 == 0, dimsTag.size >= 8 else {
            throw corrupt("\(context): dimensions are \(MIType.name(dimsTag.type)) of \(dimsTag.size) bytes, expected at least two miINT32")
        }
        var dims: [Int] = []
        for k in 0..<(dimsTag.size / 4) {
            let d = Int(Int32(bitPattern: bytes.u32(dimsTag.dataOffset + 4 * k)))
            guard d >= 0 else { throw corrupt("\(context): negative dimension \(d)") }
            dims.append(d)
        }

        let nameTag = try readTag(bytes, at: dimsTag.next, end: end, context: context)
        guard nameTag.type == MIType.int8 || nameTag.type == MIType.uint8 || nameTag.type == MIType.utf8 else {
            throw corrupt("\(context): array name is \(MIType.name(nameTag.type)), expected miINT8")
        }
        let nameBytes = UnsafeRawBufferPointer(rebasing: bytes.raw[nameTag.dataOffset..<(nameTag.dataOffset + nameTag.size)])
        let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
        return MatrixHeader(classID: classID, flags: flags, dims: dims, name: name,
                            bodyOffset: nameTag.next, end: end)
    }

    /// Converts the real part of the image matrix to NHWC uint8 images.
    func readImages(_ bytes: MATBytes, header: MatrixHeader) throws -> (images: ImageSet, imageClass: String) {
        let v = "'\(variable)'"
        let className = MXClass.name(header.classID)
        guard [MXClass.uint8, MXClass.double, MXClass.single].contains(header.classID) else {
            throw DataSourceError.unsupportedFormat(
                path: path, reason: "\(variable) has MATLAB class \(className); expected uint8, double or single")
        }
        if header.flags & 0x08 != 0 {
            throw DataSourceError.unsupportedFormat(path: path, reason: "\(variable) is complex; expected real images")
        }
        let dims = header.dims
        let shape = dims.map(String.init).joined(separator: "x")
        let expectedShape = MATFile.imageDims.map(String.init).joined(separator: "x") + "xN"
        let count: Int
        if dims.count == 4 && Array(dims[0..<3]) == MATFile.imageDims {
            count = dims[3]
        } else if dims == MATFile.imageDims {
            count = 1  // MATLAB drops the trailing singleton dimension of a single image
        } else {
            throw DataSourceError.wrongShape(path: path, reason: "\(variable) has shape \(shape), expected \(expectedShape)")
        }
        let imageSize = 32 * 32 * 3
        let (numel, overflow) = count.multipliedReportingOverflow(by: imageSize)
        guard !overflow else { throw corrupt("\(v) has an impossible size \(shape)") }

        let realTag = try readTag(bytes, at: header.bodyOffset, end: header.end, context: "variable \(v)")
        guard let valueSize = MIType.numericSize(realTag.type) else {
            throw corrupt("\(v) data are \(MIType.name(realTag.type)), expected a numeric type")
        }
        guard realTag.size == numel * valueSize else {
            throw corrupt("\(v) has shape \(shape) (\(numel) values) but its data hold \(realTag.size) bytes of \(MIType.name(realTag.type))")
        }

        if realTag.type == MIType.uint8 {
            let source = UnsafeRawBufferPointer(rebasing: bytes.raw[realTag.dataOffset..<(realTag.dataOffset + numel)])
            return (try transposed(source, count: count), className)
        }
        var columnMajor = [UInt8](repeating: 0, count: numel)
        var maxValue = -Double.infinity
        var fractional = false
        for j in 0..<numel {
            let x = bytes.value(type: realTag.type, at: realTag.dataOffset, index: j)
            let r = x.rounded()
            guard r >= 0 && r <= 255 else {
                throw DataSourceError.wrongShape(
                    path: path, reason: "\(variable) has value \(x) at \(matlabIndex(j)), outside 0..255")
            }
            if r != x { fractional = true }
            maxValue = max(maxValue, x)
            columnMajor[j] = UInt8(r)
        }
        if fractional && maxValue <= 1 {
            throw DataSourceError.wrongShape(
                path: path, reason: "\(variable) (\(className)) holds values in 0..1; expected pixel values 0..255")
        }
        let images = try columnMajor.withUnsafeBytes { try transposed($0, count: count) }
        return (images, className)
    }

    /// MATLAB's 1-based subscript of column-major element `j` of a 32x32x3xN array.
    private func matlabIndex(_ j: Int) -> String {
        "\(variable)(\(j % 32 + 1),\(j / 32 % 32 + 1),\(j / 1024 % 3 + 1),\(j / 3072 + 1))"
    }

    /// Column-major 32x32x3xN bytes to NHWC.
    private func transposed(_ source: UnsafeRawBufferPointer, count: Int) throws -> ImageSet {
        let imageSize = 3072
        let pixels = [UInt8](unsafeUninitializedCapacity: count * imageSize) { out, initialized in
            guard let src = source.baseAddress?.assumingMemoryBound(to: UInt8.self),
                  let dst = out.baseAddress else { initialized = 0; return }
            for i in 0..<count {
                let s = src + i * imageSize
                let d = dst + i * imageSize
                for ch in 0..<3 {
                    for c in 0..<32 {
                        let column = s + ch * 1024 + c * 32
                        for r in 0..<32 {
                            d[(r * 32 + c) * 3 + ch] = column[r]
                        }
                    }
                }
            }
            initialized = count * imageSize
        }
        return ImageSet(height: 32, width: 32, channels: 3, pixels: pixels)
    }
}
