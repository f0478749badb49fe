/// Integers read as numbers first, because Foundation reports `2024.5` for an `Int` as invalid JSON with no
/// field; this way the issue names the field.
extension KeyedDecodingContainer {
    func decodeInteger(forKey key: Key) throws -> Int {
        let number = try decode(Double.self, forKey: key)
        guard let integer = Int(exactly: number) else {
            throw DecodingError.typeMismatch(
                Int.self,
                DecodingError.Context(codingPath: codingPath + [key], debugDescription: "\(number) is not an integer"))
        }
        return integer
    }

    func decodeIntegerIfPresent(forKey key: Key) throws -> Int? {
        try !contains(key) || decodeNil(forKey: key) ? nil : decodeInteger(forKey: key)
    }
}
