import Foundation
import Testing
@testable import StrataCore

/// Strata's own ISO 8601 reader and writer agree with Foundation's.
@Suite struct TimestampTests {
    @Test func formatAndParseAgreeWithFoundationAcrossCenturies() throws {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var seconds = -2_208_988_800.0  // 1900-01-01
        while seconds < 4_102_444_800 {  // 2100-01-01
            let date = Date(timeIntervalSince1970: seconds.rounded(.down) + 0.123)
            let text = Timestamp.format(date)
            #expect(text == reference.string(from: date), "\(seconds)")
            let parsed = try #require(Timestamp.parse(text))
            #expect(abs(parsed.timeIntervalSince(date)) < 0.0005)
            seconds += 7_654_321.987
        }
    }

    @Test func timesWithoutFractionsAndLeapDaysAreRead() throws {
        #expect(Timestamp.parse("2024-02-29T23:59:59Z") == Date(timeIntervalSince1970: 1_709_251_199))
        #expect(Timestamp.parse("1970-01-01T00:00:00.5Z") == Date(timeIntervalSince1970: 0.5))
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_709_251_199.999)) == "2024-02-29T23:59:59.999Z")
        // A fraction of any length is read to the nanosecond (a crafted one must not overflow).
        #expect(Timestamp.parse("2024-01-01T00:00:00." + String(repeating: "9", count: 40) + "Z") == Date(timeIntervalSince1970: 1_704_067_200.999999999))
        // An offset goes through Foundation.
        #expect(Timestamp.parse("2024-03-01T01:00:00+01:00") == Date(timeIntervalSince1970: 1_709_251_200))
    }

    @Test(arguments: ["", "2024-13-01T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00.Z", "yesterday"])
    func nonsenseIsNotATime(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}
