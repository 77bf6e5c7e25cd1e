/// Percent-decoding of paths and `application/x-www-form-urlencoded` query strings.
public enum URLDecoding {
    /// Decodes `%XX` escapes (and `+` as space when `plusIsSpace`). Malformed escapes are kept
    /// literally; bytes that do not form UTF-8 become U+FFFD.
    public static func percentDecoded(_ text: Substring, plusIsSpace: Bool) -> String {
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+"), plusIsSpace {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let high = hexValue(iterator[iterator.startIndex]), let low = hexValue(iterator[iterator.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                iterator.removeFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `a=1&b=x%20y&b=z` as ordered pairs; empty segments are skipped, a key without `=`
    /// gets an empty value.
    public static func queryPairs(_ query: String) -> [(String, String)] {
        query.split(separator: "&").map { segment in
            let parts = segment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecoded(parts[0], plusIsSpace: true)
            let value = parts.count > 1 ? percentDecoded(parts[1], plusIsSpace: true) : ""
            return (key, value)
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
