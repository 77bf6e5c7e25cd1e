/// Writes JSON straight into a byte buffer, in MLflow's dialect: int64 as numbers, NaN and
/// infinities as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
///
/// Callers decide what to omit (unset fields, empty lists). Commas are managed here; it does
/// not check that objects and arrays are balanced beyond what `finish` needs.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// One bit per open container, innermost lowest: set once it holds a member, so the next
    /// needs a comma. Answers nest a few levels; `maximumDepth` is far beyond any of them.
    private var hasMember: UInt64 = 0
    private var depth = 0
    public static let maximumDepth = 64

    public init() { bytes.reserveCapacity(256) }

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginObject()
        body(&self)
        endObject()
    }

    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        beginArray()
        body(&self)
        endArray()
    }

    /// `{`, for a document written in pieces (`object` pairs it for you).
    public mutating func beginObject() {
        beginValue()
        open(UInt8(ascii: "{"))
    }

    public mutating func endObject() { close(UInt8(ascii: "}")) }

    public mutating func beginArray() {
        beginValue()
        open(UInt8(ascii: "["))
    }

    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Hands the bytes written so far to `sink` and forgets them, keeping its place in the
    /// document: how a large answer is sent in pieces.
    public mutating func drain(into sink: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes(sink)
        bytes.removeAll(keepingCapacity: true)
    }

    /// Writes `"key":`; the value written next belongs to it. Member names are the
    /// protocol's literals, read without building a String.
    public mutating func key(_ key: StaticString) {
        beginValue()
        key.withUTF8Buffer { writeQuoted(utf8: $0) }
        bytes.append(UInt8(ascii: ":"))
        pendingKey = true
    }

    public mutating func string(_ value: String) {
        beginValue()
        writeQuoted(value)
    }

    public mutating func int(_ value: Int64) {
        beginValue()
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func double(_ value: Double) {
        if value.isNaN {
            string("NaN")
        } else if value.isInfinite {
            string(value > 0 ? "Infinity" : "-Infinity")
        } else {
            beginValue()
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    public mutating func bool(_ value: Bool) {
        beginValue()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    // MARK: - Convenience for object members

    public mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }

    public mutating func field(_ name: StaticString, _ value: Int64) {
        key(name)
        int(value)
    }

    public mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// Writes `name: [...]` only when `items` is not empty, as MLflow omits empty lists.
    public mutating func list<T>(_ name: StaticString, _ items: [T], _ write: (inout JSONWriter, T) -> Void) {
        if items.isEmpty { return }
        key(name)
        array { writer in
            for item in items { write(&writer, item) }
        }
    }

    // MARK: - Internals

    private var pendingKey = false

    private mutating func beginValue() {
        if pendingKey {
            pendingKey = false
            return
        }
        if depth > 0 {
            if hasMember & 1 != 0 { bytes.append(UInt8(ascii: ",")) }
            hasMember |= 1
        }
    }

    private mutating func open(_ bracket: UInt8) {
        precondition(depth < Self.maximumDepth, "JSONWriter nests at most \(Self.maximumDepth) levels")
        bytes.append(bracket)
        hasMember <<= 1
        depth += 1
    }

    private mutating func close(_ bracket: UInt8) {
        hasMember >>= 1
        depth -= 1
        bytes.append(bracket)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func writeQuoted(_ text: String) {
        var text = text
        text.withUTF8 { writeQuoted(utf8: $0) }
    }

    /// Copies runs of bytes that need no escaping in one piece: most text has none.
    private mutating func writeQuoted(utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var start = 0
        for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
            writeEscaped(byte)
            start = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func writeEscaped(_ byte: UInt8) {
        bytes.append(0x5C)
        switch byte {
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0..<0x20:
            bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0x0F)]])
        default: bytes.append(byte)  // the quote and the backslash themselves
        }
    }
}
