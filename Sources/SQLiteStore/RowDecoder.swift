extension Row {
    /// The row as a `Decodable` record: each property from the column of its name in
    /// snake_case (`amountOut` ← `amount_out`, `productID` ← `product_id`), or its `CodingKeys`'
    /// name as written; text (and `RawRepresentable` enums of it), integers, booleans (0 or 1),
    /// reals. NULL or a missing column is nil for an optional property, an error otherwise.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: RowDecoder(row: self)) }
}

/// Reads one row (`Row.decode`): a keyed container over its columns.
private struct RowDecoder: Decoder {
    let row: Row
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Columns<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw ColumnDecoder.unsupported([]) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { throw ColumnDecoder.unsupported([]) }
}

private struct Columns<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: Row
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    /// `productID` → `product_id`: an underscore where a capital follows a small letter.
    static func column(_ key: Key) -> String {
        var name = "", previous: Character = " "
        for character in key.stringValue {
            if character.isUppercase && previous.isLowercase { name.append("_") }
            name += character.lowercased()
            previous = character
        }
        return name
    }

    private func value(_ key: Key) -> ColumnDecoder { ColumnDecoder(value: row[Self.column(key)], key: key) }

    func contains(_ key: Key) -> Bool { row.columns.contains(Self.column(key)) }
    func decodeNil(forKey key: Key) -> Bool { row[Self.column(key)] == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value(key).decode(Int.self) != 0 }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try value(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try value(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try value(key).decode(Double.self)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try value(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try value(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try value(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try value(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try value(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try value(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try value(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try value(key).decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: value(key)) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    { throw ColumnDecoder.unsupported([key]) }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw ColumnDecoder.unsupported([key])
    }
    func superDecoder() throws -> any Decoder { throw ColumnDecoder.unsupported([]) }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw ColumnDecoder.unsupported([key]) }
}

/// One column's value, as a single value (what an enum of text or numbers decodes from).
private struct ColumnDecoder: Decoder, SingleValueDecodingContainer {
    let value: SQLValue
    let key: any CodingKey
    var codingPath: [any CodingKey] { [key] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func unsupported(_ path: [any CodingKey]) -> DecodingError {
        .dataCorrupted(.init(codingPath: path, debugDescription: "a row's columns hold only single values"))
    }

    private func mismatch<T>(_ type: T.Type) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "column holds \(value)"))
    }

    func container<K: CodingKey>(keyedBy type: K.Type) throws -> KeyedDecodingContainer<K> {
        throw Self.unsupported(codingPath)
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw Self.unsupported(codingPath) }
    func singleValueContainer() -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try decode(Int.self) != 0 }
    func decode(_ type: String.Type) throws -> String {
        guard let text = value.string else { throw mismatch(type) }
        return text
    }
    func decode(_ type: Double.Type) throws -> Double {
        guard let number = value.double else { throw mismatch(type) }
        return number
    }
    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int { try decode(integer: type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decode(integer: type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decode(integer: type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decode(integer: type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decode(integer: type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decode(integer: type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(integer: type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(integer: type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(integer: type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(integer: type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }

    private func decode<T: FixedWidthInteger>(integer type: T.Type) throws -> T {
        guard let integer = value.int64.flatMap({ T(exactly: $0) }) else { throw mismatch(type) }
        return integer
    }
}
