import HTTPServer
import SQLiteStore

/// Paytomat's products (the widget's shop) and broadcasts.
extension PaytomatStore {
    private static func product(_ db: Database, merchant: Int, id: Int) throws -> Product? {
        try db.queryOne("SELECT * FROM paytomat_products WHERE id = ? AND merchant = ?", [id, merchant])?
            .decode(Product.self)
    }

    func product(merchant: Int, id: Int) throws -> Product? {
        try context.store.read { db in try Self.product(db, merchant: merchant, id: id) }
    }

    /// The product as `GET /product` shows it, with its successful transactions counted.
    func productJSON(merchant: Int, id: Int) throws -> JSON? {
        try context.store.read { db in
            guard let product = try Self.product(db, merchant: merchant, id: id) else { return nil }
            let successes = try db.queryOne(
                "SELECT COUNT(*) FROM paytomat_transactions WHERE product_id = ? AND status = 'success'", [id])?[0].int
            return product.json(successes: successes ?? 0)
        }
    }

    func products(merchant: Int) throws -> [Product] {
        try context.store.read { db in
            try db.query("SELECT * FROM paytomat_products WHERE merchant = ? ORDER BY id", [merchant])
                .map { try $0.decode(Product.self) }
        }
    }

    func createProduct(merchant: Int, values: [(String, SQLValue)]) async throws -> Int {
        let now = context.clock.nowMilliseconds()
        return try await context.store.write { db in
            let columns = values.map(\.0) + ["merchant", "created"]
            let marks = columns.map { _ in "?" }.joined(separator: ", ")
            try db.run("INSERT INTO paytomat_products (\(columns.joined(separator: ", "))) VALUES (\(marks))",
                       values.map(\.1) + [SQLValue.integer(Int64(merchant)), .integer(now)])
            return Int(db.lastInsertRowID)
        }
    }

    func updateProduct(merchant: Int, id: Int, values: [(String, SQLValue)]) async throws -> Bool {
        try await context.store.write { db in
            guard try Self.product(db, merchant: merchant, id: id) != nil else { return false }
            for (column, value) in values {
                try db.run("UPDATE paytomat_products SET \(column) = ? WHERE id = ?", [value, id])
            }
            return true
        }
    }

    func recordBroadcast(merchant: Int, currency: String, txid: String, receiver: String, amount: String) async throws {
        let now = context.clock.nowMilliseconds()
        try await context.store.write { db in
            try db.run("""
                INSERT INTO paytomat_broadcasts (merchant, currency, txid, receiver, amount, created)
                VALUES (?, ?, ?, ?, ?, ?)
                """, [merchant, currency, txid, receiver, amount, now])
        }
    }
}
