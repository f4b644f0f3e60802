/// Splits a shell line into words the way sh does for the cases an operator types: blanks separate
/// words, '...' keeps everything literally, "..." keeps blanks and honours \" \\ \$ \`, and a
/// backslash outside quotes escapes the next character.
enum ShellWords {
    struct UnterminatedQuote: Error, Equatable {
        var quote: Character
    }

    static func split(_ line: String) throws(UnterminatedQuote) -> [String] {
        let (words, openQuote) = scan(line)
        if let openQuote { throw UnterminatedQuote(quote: openQuote) }
        return words
    }

    /// The complete words of a partial line, for completion: an open quote is not an error there,
    /// and a last word not followed by a blank is the one being completed, so it is left out.
    static func splitForCompletion(_ line: String) -> [String] {
        let (words, openQuote) = scan(line)
        let endsInBlank = line.last.map { $0 == " " || $0 == "\t" } ?? true
        return openQuote == nil && endsInBlank ? words : Array(words.dropLast())
    }

    private static func scan(_ line: String) -> (words: [String], openQuote: Character?) {
        var words: [String] = []
        var word = ""
        // A word can be empty ("" or ''), so whether one has started is tracked apart from its text.
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                if quote == "\"", !"\"\\$`".contains(character) { word.append("\\") }
                word.append(character)
                escaped = false
                continue
            }
            switch (quote, character) {
            case ("'", "'"), ("\"", "\""):
                quote = nil
            case ("'", _):
                word.append(character)
            case (_, "\\"):
                escaped = true
                inWord = true
            case ("\"", _):
                word.append(character)
            case (nil, " "), (nil, "\t"), (nil, "\n"):
                if inWord { words.append(word) }
                word = ""
                inWord = false
            case (nil, "'"), (nil, "\""):
                quote = character
                inWord = true
            default:
                word.append(character)
                inWord = true
            }
        }
        if escaped { word.append("\\") }
        if inWord { words.append(word) }
        return (words, quote)
    }
}
