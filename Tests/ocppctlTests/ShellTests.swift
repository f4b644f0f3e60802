import Testing

@testable import ocppctl

@Suite struct ShellWordsTests {
    @Test func blanksSeparateWordsAndQuotesKeepThem() throws {
        #expect(try ShellWords.split("  stations   show  CP-1 ") == ["stations", "show", "CP-1"])
        #expect(try ShellWords.split("stations show 'CP one'") == ["stations", "show", "CP one"])
        #expect(
            try ShellWords.split(#"rfid add "TAG 1" --description "a \"b\" c""#) == ["rfid", "add", "TAG 1", "--description", #"a "b" c"#])
        #expect(try ShellWords.split(#"data-transfer CP --data '{"a": 1}'"#) == ["data-transfer", "CP", "--data", #"{"a": 1}"#])
        #expect(try ShellWords.split(#"show CP\ 1 x\\y"#) == ["show", "CP 1", #"x\y"#])
        #expect(try ShellWords.split("a'b'\"c\"d") == ["abcd"])
    }

    @Test func emptyQuotesAreAnEmptyWordAndABlankLineHasNone() throws {
        #expect(try ShellWords.split(#"config set CP Key """#) == ["config", "set", "CP", "Key", ""])
        #expect(try ShellWords.split("   ").isEmpty)
    }

    @Test func backslashesInsideQuotesFollowSh() throws {
        #expect(try ShellWords.split(#"'a\b' "a\b" "a\\b""#) == [#"a\b"#, #"a\b"#, #"a\b"#])
    }

    @Test func anOpenQuoteIsAnError() {
        #expect(throws: ShellWords.UnterminatedQuote(quote: "'")) { try ShellWords.split("stations show 'CP") }
        #expect(throws: ShellWords.UnterminatedQuote(quote: "\"")) { try ShellWords.split(#"show "CP"#) }
    }

    @Test func completionSeesOnlyTheWordsBeforeTheOneBeingTyped() {
        #expect(ShellWords.splitForCompletion("stations show ") == ["stations", "show"])
        #expect(ShellWords.splitForCompletion("stations sh") == ["stations"])
        #expect(ShellWords.splitForCompletion("stations show \"CP ") == ["stations", "show"])
        #expect(ShellWords.splitForCompletion("").isEmpty)
    }
}

@Suite struct ShellTests {
    @Test func historyLivesUnderXDGStateHome() {
        #expect(ShellSession.historyPath(environment: ["XDG_STATE_HOME": "/s", "HOME": "/h"]) == "/s/ocppctl/history")
        #expect(ShellSession.historyPath(environment: ["HOME": "/h"]) == "/h/.local/state/ocppctl/history")
    }

    @Test func completionInsertsTheLongestCommonPrefix() {
        #expect(LineEditor.commonPrefix(["reservations", "reserve", "reset"]) == "rese")
        #expect(LineEditor.commonPrefix(["stations"]) == "stations")
        #expect(LineEditor.commonPrefix(["a", "b"]).isEmpty)
    }
}
