/// Turning decoding errors into issues, so bad JSON is reported as `field: reason` like any other problem.
extension ValidationIssue {
    /// An issue for any error thrown while decoding a record: `missing`, `wrong_type`, `invalid_value`
    /// or `invalid_json`, with the dotted path of the offending field.
    public init(decodingError error: any Error) {
        guard let error = error as? DecodingError else {
            self.init(field: "", code: "invalid_json", reason: "could not be read: \(error)")
            return
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(
                field: Self.path(context.codingPath + [key]), code: "missing", reason: "is required but missing")
        case .valueNotFound(let type, let context):
            self.init(
                field: Self.path(context.codingPath), code: "missing",
                reason: "is null, expected \(Self.describe(type))")
        case .typeMismatch(let type, let context):
            self.init(
                field: Self.path(context.codingPath), code: "wrong_type",
                reason: "expected \(Self.describe(type))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self.init(field: "", code: "invalid_json", reason: "is not valid JSON: \(context.debugDescription)")
            } else {
                self.init(
                    field: Self.path(context.codingPath), code: "invalid_value", reason: context.debugDescription)
            }
        @unknown default:
            self.init(field: "", code: "invalid_json", reason: "could not be read: \(error)")
        }
    }

    /// `a.b[2].c` from a coding path.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var result = ""
        for key in codingPath {
            if let index = key.intValue {
                result += "[\(index)]"
            } else {
                result += result.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return result
    }

    private static func describe(_ type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type == Double.self || type == Float.self { return "a number" }
        if type == Int.self { return "an integer" }
        if type == Bool.self { return "true or false" }
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return name
    }
}
