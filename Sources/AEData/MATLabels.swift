import AEFormats

// The label variable of a MAT file (SVHN's `y`: N x 1, values 1...10, 10 meaning the
// digit 0), read beside the images by `MATFile`. Any real numeric class is accepted.
extension MATParser {
    /// The labels of a plain (miMATRIX) label variable.
    func readLabels(_ bytes: MATBytes, header: MatrixHeader) throws -> [UInt8] {
        let name = "'\(header.name)'"
        let dims = header.dims
        guard dims.count == 2, dims.contains(1) || dims.contains(0) else {
            throw DataSourceError.wrongShape(path: path, reason:
                "the labels \(name) have shape \(dims.map(String.init).joined(separator: "x")), expected N x 1")
        }
        if header.flags & 0x08 != 0 {
            throw DataSourceError.unsupportedFormat(path: path, reason: "the labels \(name) are complex")
        }
        let count = dims[0] * dims[1]
        let tag = try readTag(bytes, at: header.bodyOffset, end: header.end, context: "labels \(name)")
        guard let size = MIType.numericSize(tag.type), tag.size == count * size else {
            throw corrupt("the labels \(name) (\(count) values) are \(tag.size) bytes of \(MIType.name(tag.type))")
        }
        return try (0 ..< count).map { i in
            let value = bytes.value(type: tag.type, at: tag.dataOffset, index: i)
            guard let digit = DigitLabels.digit(value) else {
                throw DataSourceError.wrongShape(path: path, reason:
                    "label \(i + 1) in \(name) is \(value), expected a digit 1...10 (10 for zero) or 0...9")
            }
            return digit
        }
    }

    /// The labels of a compressed (miCOMPRESSED) label variable, inflated whole.
    func compressedLabels(_ payload: UnsafeRawBufferPointer, bigEndian: Bool, context: String) throws -> [UInt8] {
        let declared: Int
        do {
            let prefix = try Zlib.decompressPrefix(payload, count: 8)
            guard prefix.count == 8 else { throw corrupt("\(context): too short for a variable") }
            declared = prefix.withUnsafeBytes { 8 + Int(MATBytes(raw: $0, bigEndian: bigEndian).u32(4)) }
            guard declared <= payload.count &* Zlib.maxRatio + 64 else {
                throw corrupt("\(context): declares \(declared) bytes, impossible from \(payload.count) compressed bytes")
            }
            let full = try Zlib.inflate(payload, expectedSize: declared, maxSize: declared, allowTrailingData: true).output
            return try full.withUnsafeBytes { p in
                let view = MATBytes(raw: p, bigEndian: bigEndian)
                guard let header = try matrixHeader(view, start: 8, end: declared, context: context) else {
                    throw corrupt("\(context): the labels are an empty element")
                }
                return try readLabels(view, header: header)
            }
        } catch let error as ZlibError {
            throw corrupt("\(context): \(error)")
        }
    }
}
