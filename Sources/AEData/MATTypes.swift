// The MAT v5 format's codes (MathWorks, "MAT-File Format", tables 1-2 and 1-3).

/// MAT v5 data types (the `type` field of a data element tag).
enum MIType {
    static let int8: UInt32 = 1, uint8: UInt32 = 2, int16: UInt32 = 3, uint16: UInt32 = 4
    static let int32: UInt32 = 5, uint32: UInt32 = 6, single: UInt32 = 7, double: UInt32 = 9
    static let int64: UInt32 = 12, uint64: UInt32 = 13, matrix: UInt32 = 14, compressed: UInt32 = 15
    static let utf8: UInt32 = 16

    /// Size in bytes of one value of a numeric type, nil for other types.
    static func numericSize(_ type: UInt32) -> Int? {
        switch type {
        case int8, uint8: return 1
        case int16, uint16: return 2
        case int32, uint32, single: return 4
        case double, int64, uint64: return 8
        default: return nil
        }
    }

    static func name(_ type: UInt32) -> String {
        switch type {
        case int8: return "miINT8"
        case uint8: return "miUINT8"
        case int16: return "miINT16"
        case uint16: return "miUINT16"
        case int32: return "miINT32"
        case uint32: return "miUINT32"
        case single: return "miSINGLE"
        case double: return "miDOUBLE"
        case int64: return "miINT64"
        case uint64: return "miUINT64"
        case matrix: return "miMATRIX"
        case compressed: return "miCOMPRESSED"
        case utf8: return "miUTF8"
        default: return "type \(type)"
        }
    }
}

/// MATLAB array classes (low byte of the array flags).
enum MXClass {
    static let double: UInt8 = 6, single: UInt8 = 7, uint8: UInt8 = 9

    static func name(_ id: UInt8) -> String {
        let names: [UInt8: String] = [
            1: "cell", 2: "struct", 3: "object", 4: "char", 5: "sparse", 6: "double", 7: "single",
            8: "int8", 9: "uint8", 10: "int16", 11: "uint16", 12: "int32", 13: "uint32",
            14: "int64", 15: "uint64",
        ]
        return names[id] ?? "class \(id)"
    }
}
