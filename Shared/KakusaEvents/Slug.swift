import Foundation

/// URL- and key-safe names: `Moonshot AI` → `moonshot-ai`, `月之暗面` → `月之暗面`.
public enum Slug {
    /// Lower-cases `name` (after NFKC, so full-width `Ａ` is `a`), keeps letters and digits of any script,
    /// turns every run of anything else into one `-`, and trims `-` from both ends.
    public static func make(_ name: String) -> String {
        asciiSlug(name) ?? unicodeSlug(name)
    }

    /// The same for an ASCII name, where NFKC changes nothing and only `A-Z`, `a-z`, `0-9` are letters or digits;
    /// nil for anything else. Normalising every name through Foundation was 9% of the aggregator's CPU.
    public static func asciiSlug(_ name: String) -> String? {
        var name = name
        return name.withUTF8 { utf8 -> String? in
            guard !utf8.contains(where: { $0 >= 0x80 }) else { return nil }
            // Written straight into the string's storage: a short slug stays inline, with no allocation at all.
            return String(unsafeUninitializedCapacity: utf8.count) { slug in
                var count = 0
                forEachASCIISlugByte(utf8) { byte in
                    slug[count] = byte
                    count += 1
                }
                return count
            }
        }
    }

    /// Appends the slug of an ASCII name (the caller checked every byte is below 0x80) to `bytes`.
    public static func appendASCIISlug(of utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        forEachASCIISlugByte(utf8) { bytes.append($0) }
    }

    @inline(__always)
    private static func forEachASCIISlugByte(_ utf8: UnsafeBufferPointer<UInt8>, _ emit: (UInt8) -> Void) {
        var emitted = false
        var pendingDash = false
        for byte in utf8 {
            if keeps(asciiByte: byte) {
                if pendingDash && emitted { emit(UInt8(ascii: "-")) }
                pendingDash = false
                emit(byte | (byte <= UInt8(ascii: "Z") && byte >= UInt8(ascii: "A") ? 0x20 : 0))
                emitted = true
            } else {
                pendingDash = true
            }
        }
    }

    /// Whether `byte` is an ASCII letter or digit: every slug keeps it (lower-cased), whatever else the name holds,
    /// so a name with one has a slug that is not empty.
    @inline(__always)
    static func keeps(asciiByte byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default: false
        }
    }

    static func unicodeSlug(_ name: String) -> String {
        var slug = ""
        var pendingDash = false
        for character in name.precomposedStringWithCompatibilityMapping.lowercased() {
            if character.isLetter || character.isNumber {
                if pendingDash && !slug.isEmpty { slug.append("-") }
                pendingDash = false
                slug.append(character)
            } else {
                pendingDash = true
            }
        }
        return slug
    }
}
