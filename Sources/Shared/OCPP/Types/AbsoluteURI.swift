/// Checks the schema's `format: uri` as far as a charge point needs it: a scheme, then no spaces or
/// control characters. A full RFC 3986 parse would reject addresses that chargers accept in practice.
func checkAbsoluteURI(_ text: String, field: String) throws {
    let scalars = Array(text.unicodeScalars)
    guard let colon = scalars.firstIndex(of: ":"), colon > 0, isASCIILetter(scalars[0]),
        scalars[1..<colon].allSatisfy({ isASCIILetter($0) || ("0"..."9").contains($0) || $0 == "+" || $0 == "-" || $0 == "." })
    else {
        throw constraintViolation(field, "'\(text)' is not an absolute URI (scheme:...)")
    }
    if scalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
        throw constraintViolation(field, "'\(text)' is not a URI: it contains a space or control character")
    }
}

private func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
}
