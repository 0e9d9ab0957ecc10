/// Card-number checks the payer pages share.
public enum CardNumber {
    /// 12 to 19 digits passing the Luhn check.
    public static func isValid(_ number: String) -> Bool {
        let digits = number.compactMap(\.wholeNumberValue)
        guard digits.count == number.count, (12 ... 19).contains(digits.count) else { return false }
        let sum = digits.reversed().enumerated().reduce(0) { total, item in
            item.offset % 2 == 1
                ? total + (item.element * 2 > 9 ? item.element * 2 - 9 : item.element * 2) : total + item.element
        }
        return sum % 10 == 0
    }

    /// A payer's card number as a form sends it (spaces and dashes dropped), if valid.
    public static func read(_ text: String?) -> String? {
        let number = (text ?? "").filter { $0 != " " && $0 != "-" }
        return isValid(number) ? number : nil
    }
}
