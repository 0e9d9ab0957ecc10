import Testing
@testable import SQLiteStore

@Suite struct RowDecoderTests {
    struct Record: Decodable, Equatable {
        enum Kind: String, Decodable { case plain, fancy = "Fancy" }
        let id: Int
        let productID: Int?
        let callbackURL: String?
        let amountOut: String
        let kind: Kind
        let verified: Bool
        let ratio: Double
        let createdAt: Int64
    }

    /// Columns by the properties' names in snake_case; NULL and missing columns are nil for
    /// optionals; enums from their raw text; booleans from 0/1.
    @Test func aRowDecodesIntoARecord() throws {
        let db = try Database(path: ":memory:")
        try db.execute("""
            CREATE TABLE t (id INTEGER, product_id INTEGER, amount_out TEXT, kind TEXT, verified INTEGER,
                            ratio REAL, created_at INTEGER, extra TEXT);
            INSERT INTO t VALUES (1, NULL, '1.50', 'Fancy', 1, 0.5, 1700000000000, 'x');
            INSERT INTO t VALUES (2, 7, '2', 'plain', 0, 2, 5, NULL);
            """)
        let records: [Record] = try db.query("SELECT * FROM t ORDER BY id").map { try $0.decode(Record.self) }
        #expect(records == [
            Record(id: 1, productID: nil, callbackURL: nil, amountOut: "1.50", kind: .fancy, verified: true, ratio: 0.5,
                   createdAt: 1_700_000_000_000),
            Record(id: 2, productID: 7, callbackURL: nil, amountOut: "2", kind: .plain, verified: false, ratio: 2,
                   createdAt: 5),
        ])
    }

    /// A NULL where a value is required, text where a number is, an unknown enum value: an
    /// error naming the column, never a made-up value.
    @Test(arguments: ["NULL, NULL, '1', 'plain', 1, 1, 1", "'x', NULL, '1', 'plain', 1, 1, 1",
                      "1, NULL, '1', 'other', 1, 1, 1"])
    func aRowThatDoesNotFitThrows(values: String) throws {
        let db = try Database(path: ":memory:")
        try db.execute("""
            CREATE TABLE t (id, product_id, amount_out, kind, verified, ratio, created_at);
            INSERT INTO t VALUES (\(values));
            """)
        #expect(throws: DecodingError.self) { _ = try db.query("SELECT * FROM t")[0].decode(Record.self) }
    }
}
