import Foundation

/// URL- and key-safe names: `Moonshot AI` → `moonshot-ai`, `月之暗面` → `月之暗面`.
public enum Slug {
    /// Lower-cases `name` (after NFKC, so full-width `Ａ` is `a`), keeps letters and digits of any script,
    /// turns every run of anything else into one `-`, and trims `-` from both ends.
    public static func make(_ name: String) -> String {
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
