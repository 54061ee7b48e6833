/// A latent file of any version this package reads: 1.x (per-tile latents stored as
/// float16 or uint8, `LatentFile`) or 2.x (entropy-coded latents, `CodedLatentFile`).
public enum AnyLatentFile: Equatable, Sendable {
    case tiles(LatentFile)
    case coded(CodedLatentFile)

    /// The stored fingerprint bytes (8), whatever the version.
    public var modelFingerprint: [UInt8] {
        switch self {
        case let .tiles(file): return file.modelFingerprint
        case let .coded(file): return file.modelFingerprint
        }
    }

    /// Whether the file was made by the model with this fingerprint (32 hex digits).
    public func matches(modelFingerprint hex: String) -> Bool {
        switch self {
        case let .tiles(file): return file.matches(modelFingerprint: hex)
        case let .coded(file): return file.matches(modelFingerprint: hex)
        }
    }
}

/// Reading latent files of every version: the version byte picks the reader.
public enum LatentFiles {
    /// The major versions this package reads (and names when it refuses another).
    public static let supportedMajors = [LatentFile.majorVersion, CodedLatentFile.majorVersion]

    /// The major version of a file that starts with the latent file signature: its version
    /// byte's high nibble. Refuses, as the readers do, bytes without the signature or the byte
    /// and majors no reader here knows.
    public static func majorVersion(_ bytes: [UInt8], path: String = "<memory>") throws -> Int {
        try LatentFileCodec.checkSignature(bytes, path: path)
        guard bytes.count > 4 else {
            throw LatentFileError.truncated(path: path, expected: CodedLatentFile.minimumFileLength, found: bytes.count)
        }
        let major = Int(bytes[4] >> 4)
        guard supportedMajors.contains(major) else {
            throw LatentFileError.unsupportedVersion(path: path, major: major, minor: Int(bytes[4] & 0x0F),
                                                     supportedMajors: supportedMajors)
        }
        return major
    }

    /// Decodes and checks a whole file of either version. `quantization` (from the model
    /// bundle) is needed for 1.x `.uint8` files only.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>",
                              quantization: LatentQuantization? = nil) throws -> AnyLatentFile {
        if try majorVersion(bytes, path: path) == CodedLatentFile.majorVersion {
            return .coded(try CodedLatentFile.decode(bytes, path: path))
        }
        return .tiles(try LatentFile.decode(bytes, path: path, quantization: quantization))
    }

    /// Reads and decodes the file at `path` (bounded by `LatentFile.Limits.fileBytes`).
    public static func read(path: String, quantization: LatentQuantization? = nil) throws -> AnyLatentFile {
        try decode(LatentFile.readBytes(path: path), path: path, quantization: quantization)
    }
}
