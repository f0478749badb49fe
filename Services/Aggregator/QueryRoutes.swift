import Hummingbird
import KakusaEvents

/// The query API over the aggregator's state as of its last derived batch (see `StateView`):
///
/// - `GET /v1/companies/{slug}/valuations`: the company's funding rounds, oldest first, in USD
/// - `GET /v1/papers/{year}`: every country's totals that year, with shares and ratios
/// - `GET /v1/market-days/{date}`: the market summary of that date
///
/// 404 for a key never seen. With several instances each answers for the state it holds.
enum QueryRoutes {
    struct CompanyValuations: Codable, Sendable {
        var company: String
        var valuations: [ValuationChanges.Entry]
    }

    struct YearPapers: Codable, Sendable {
        var year: Int
        var countries: [CountryPaperTotals]
    }

    static func add(to router: Router<BasicRequestContext>, view: StateView) {
        router.get("/v1/companies/:slug/valuations") { _, context in
            let slug = context.parameters.get("slug") ?? ""
            guard let history = view.read({ $0.valuations.history(slug: slug) }) else {
                return notFound("no funding round of company \(slug)")
            }
            return json(CompanyValuations(company: slug, valuations: history))
        }
        router.get("/v1/papers/:year") { _, context in
            guard let year = context.parameters.get("year", as: Int.self) else {
                return notFound("not a year")
            }
            let totals = view.read { $0.papers.totals(year: year) }
            guard !totals.isEmpty else { return notFound("no paper count for \(year)") }
            return json(YearPapers(year: year, countries: totals))
        }
        router.get("/v1/market-days/:date") { _, context in
            let date = context.parameters.get("date") ?? ""
            guard let day = view.read({ $0.markets.day(date) }) else {
                return notFound("no stock move on \(date)")
            }
            return json(day)
        }
    }

    private static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let bytes = (try? KakusaJSON.encode(value)) ?? Array("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private static func notFound(_ reason: String) -> Response {
        json(["error": "not_found", "reason": reason], status: .notFound)
    }
}
