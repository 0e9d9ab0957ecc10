import Foundation
import SandboxCore

/// Amounts whose cents force an outcome (docs/paytomat.md): `.51` underpaid (failure).
enum PaytomatMagic {
    static func outcome(_ amountIn: Decimal) -> Outcome? {
        let cents = NSDecimalNumber(decimal: amountIn * 100).intValue % 100
        return cents == 51 ? Outcome(.failure, message: "Payment underpaid") : nil
    }
}
