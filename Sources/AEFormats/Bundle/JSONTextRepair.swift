/// Makes JSON text that a lenient parser accepted strictly valid, for `aeinfo --json`,
/// which shows a bundle's metadata verbatim: JSONDecoder, the bundle reader, takes raw
/// control characters (NUL included) inside strings and escaped lone surrogates
/// (`\ud800`), which RFC 8259 parsers refuse or cannot represent.
enum JSONTextRepair {
    /// `text` with every control character (U+0000...U+001F) inside a string written as a
    /// `\u00XX` escape and every escaped lone surrogate as `\ufffd`; all else unchanged.
    static func repaired(_ text: String) -> String {
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= s.count else { return nil }
            return UInt32(String(String.UnicodeScalarView(s[at..<(at + 4)])), radix: 16)
        }
        func escape(_ value: UInt32) -> String {
            let digits = String(value, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }
        var inString = false, i = 0
        while i < s.count {
            let c = s[i]
            guard inString else {
                if c == "\"" { inString = true }
                out.append(c)
                i += 1
                continue
            }
            if c == "\"" {
                inString = false
            } else if c.value < 0x20 {
                out.append(contentsOf: escape(c.value).unicodeScalars)
                i += 1
                continue
            } else if c == "\\" && i + 1 < s.count {
                // An escape: copied whole, so its second character is never taken for a quote.
                var length = 2
                if s[i + 1] == "u", let unit = hex4(i + 2) {
                    length = 6
                    if (0xD800...0xDBFF).contains(unit), i + 7 < s.count, s[i + 6] == "\\", s[i + 7] == "u",
                       let low = hex4(i + 8), (0xDC00...0xDFFF).contains(low) {
                        length = 12  // a surrogate pair
                    } else if (0xD800...0xDFFF).contains(unit) {
                        out.append(contentsOf: "\\ufffd".unicodeScalars)
                        i += 6
                        continue
                    }
                }
                out.append(contentsOf: s[i..<min(s.count, i + length)])
                i += length
                continue
            }
            out.append(c)
            i += 1
        }
        return String(out)
    }
}
