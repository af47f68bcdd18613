/// `text` safe to print on a terminal, on one line: control, line-breaking and format characters
/// (escape sequences, bidi overrides) become `\n`, `\r`, `\t` or `\u{...}`, and a backslash
/// becomes `\\`, so that data from the network can neither steer the terminal nor pass for
/// escaped text.
func terminalSafe(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator, .format:
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result
}
