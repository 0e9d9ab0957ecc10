import Testing
@testable import SandboxCore

/// The payer pages' card numbers: 12 to 19 digits passing the Luhn check, as typed.
@Suite struct CardNumberTests {
    @Test(arguments: ["4111111111111111", "5555555555554444", "378282246310005", "4000000000000002"])
    func validNumbers(number: String) {
        #expect(CardNumber.isValid(number))
    }

    @Test(arguments: ["4111111111111112", "41111111111", "41111111111111111111", "4111-1111-1111-1111", "", "abcd"])
    func invalidNumbers(number: String) {
        #expect(!CardNumber.isValid(number))
    }

    /// As a form sends it: spaces and dashes go; what is left must be valid.
    @Test func readFromAForm() {
        #expect(CardNumber.read("4111 1111 1111 1111") == "4111111111111111")
        #expect(CardNumber.read("4111-1111-1111-1111") == "4111111111111111")
        #expect(CardNumber.read("4111 1111 1111 1112") == nil)
        #expect(CardNumber.read(nil) == nil)
    }
}
