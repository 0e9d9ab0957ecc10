import Testing
import HTTPServer
@testable import Census

@Suite struct IBANTests {
    @Test(arguments: [
        "ES9121000418450200051332", "DE89370400440532013000", "GB29NWBK60161331926819", "FR1420041010050500013M02606",
        "BE68539007547034", "NL91ABNA0417164300", "IT60X0542811101000000123456", "PT50000201231234567890154", "AT611904300234573201",
    ])
    func validIBANs(_ iban: String) {
        #expect(IBAN.validate(iban) == nil)
    }

    @Test(arguments: [
        ("ES9121000418450200051333", IBAN.Problem.invalidCheck),
        ("DE89370400440532013001", .invalidCheck),
        ("ES91 2100 0418 4502 0005 1332", .invalidFormat),
        ("ES912100041845020005133", .invalidFormat),
        ("ES91210004184502000513321", .invalidFormat),
        ("es9121000418450200051332", .invalidFormat),
        ("ES91-2100-0418-4502-0005-1332", .invalidFormat),
        ("XX9121000418450200051332", .invalidFormat),
        ("ES91210004184502000513AB", .invalidFormat),
        ("", .invalidFormat),
    ])
    func invalidIBANs(_ iban: String, _ problem: IBAN.Problem) {
        #expect(IBAN.validate(iban) == problem)
    }

    @Test func nationalCheckDigitsAreChecked() {
        // Spanish account with wrong control digits (45 → 46), IBAN check digits made right.
        let spanish = "2100041846020005133" + "2"
        let es = "ES" + IBAN.checkDigits(country: "ES", bban: spanish) + spanish
        #expect(IBAN.validate(es) == .invalidCountryCheck)
        // Belgian account whose last two digits are not the first ten mod 97.
        let belgian = "539007547035"
        let be = "BE" + IBAN.checkDigits(country: "BE", bban: belgian) + belgian
        #expect(IBAN.validate(be) == .invalidCountryCheck)
        #expect(IBAN.checkDigits(country: "ES", bban: "21000418450200051332") == "91")
    }

    /// By the client's address without its port (`HTTPRequest.remoteHost`).
    @Test func theCensusAllowListAlwaysLetsLoopbackIn() {
        func allows(_ remote: String, _ access: CensusAccess = CensusAccess(allowed: ["10.1.2.3"])) -> Bool {
            var request = HTTPRequest(method: "GET", target: "/")
            request.remoteAddress = remote
            return access.allows(request.remoteHost)
        }
        #expect(allows("127.0.0.1:5000"))
        #expect(allows("[::1]:5000"))
        #expect(allows("10.1.2.3:5000"))
        #expect(!allows("10.1.2.4:5000"))
        #expect(!allows("[2001:db8::1]:5000"))
        #expect(allows("[::ffff:127.0.0.1]:80", CensusAccess()))
        #expect(allows("[::ffff:10.1.2.3]:80"))
    }
}

extension IBAN {
    /// The two check digits that make `country` + `bban` a valid IBAN.
    static func checkDigits(country: String, bban: String) -> String {
        let value = 98 - mod97(Array(bban.utf8) + Array(country.utf8) + Array("00".utf8))
        return value < 10 ? "0\(value)" : "\(value)"
    }
}
