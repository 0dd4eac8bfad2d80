/// A small RFC 4180 reader: records of comma-separated fields; a field in double quotes may hold commas,
/// line breaks and doubled quotes (`""` is one `"`); lines end in LF or CRLF; a byte-order mark at the start
/// and blank lines are skipped. Each record keeps the line it starts on, so that a caller's errors can name
/// it. What is not CSV (a quote left open, text after a closing quote, a quote inside an unquoted field) is
/// a `Problem` naming the line and the column (the field's number, from 1).
public enum CSVReader {
    public struct Record: Sendable, Equatable {
        /// The line the record starts on, from 1.
        public var line: Int
        public var fields: [String]
    }

    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var message: String
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    /// The records of `text`, in order.
    /// - Throws: `Problem` at the first place where `text` is not CSV.
    public static func records(_ text: String) throws -> [Record] {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var bytes = Array(text.utf8)[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var records = [Record]()
        var fields = [String](), field = [UInt8](), quotedFieldSeen = false
        var line = 1, recordLine = 1
        var i = bytes.startIndex
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        func endRecord() {
            endField()
            // A blank line is one empty unquoted field: skipped.
            if !(fields.count == 1 && fields[0].isEmpty && !quotedFieldSeen) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
            quotedFieldSeen = false
        }
        while i < bytes.endIndex {
            // The start of a field.
            if bytes[i] == quote {
                let (openLine, column) = (line, fields.count + 1)
                quotedFieldSeen = true
                i += 1
                while true {
                    guard i < bytes.endIndex else {
                        throw Problem(line: openLine, column: column, message: "the quote opened here is never closed")
                    }
                    let c = bytes[i]
                    if c == quote {
                        if i + 1 < bytes.endIndex && bytes[i + 1] == quote {
                            field.append(quote)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    if c == lf { line += 1 }
                    field.append(c)
                    i += 1
                }
                if i < bytes.endIndex && bytes[i] != comma && bytes[i] != cr && bytes[i] != lf {
                    throw Problem(
                        line: line, column: column,
                        message: "text after the closing quote (a quote inside a "
                            + "quoted field is written twice: \"\")")
                }
            } else {
                while i < bytes.endIndex && bytes[i] != comma && bytes[i] != cr && bytes[i] != lf {
                    if bytes[i] == quote {
                        throw Problem(
                            line: line, column: fields.count + 1,
                            message: "a quote inside an unquoted field "
                                + "(quote the whole field and write the quote twice)")
                    }
                    field.append(bytes[i])
                    i += 1
                }
            }
            // After a field: a comma, a line end or the end of the text.
            guard i < bytes.endIndex else { break }
            if bytes[i] == comma {
                endField()
                i += 1
                continue
            }
            if bytes[i] == cr {
                i += 1
                guard i < bytes.endIndex, bytes[i] == lf else {
                    throw Problem(
                        line: line, column: fields.count + 1, message: "a carriage return that does not end a line")
                }
            }
            i += 1
            endRecord()
            line += 1
            recordLine = line
        }
        if !field.isEmpty || !fields.isEmpty || quotedFieldSeen { endRecord() }
        return records
    }
}
