import KakusaEvents

/// Writes the three input records as `KakusaJSON.encode` does (sorted keys, absent optionals left out), with the
/// shared `JSONWriter`, at the end of a buffer (a `ProducerBatch`'s, so a record's value is written once). Refuses
/// (false, nil) a number that is not finite, which `KakusaJSON` refuses. `FastPathTests` checks the bytes are equal.
enum FastRecordEncoder {
    static func encode(_ r: FundingRound) -> [UInt8]? { encoded { write(r, into: &$0) } }
    static func encode(_ r: PaperCount) -> [UInt8]? { encoded { write(r, into: &$0) } }
    static func encode(_ r: StockMove) -> [UInt8]? { encoded { write(r, into: &$0) } }

    private static func encoded(_ write: (inout [UInt8]) -> Bool) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        return write(&bytes) ? bytes : nil
    }

    static func write(_ r: FundingRound, into bytes: inout [UInt8]) -> Bool {
        guard finite(r.valuation), r.raised.map(finite) ?? true else { return false }
        JSONWriter.append(to: &bytes) { w in
            w.raw("{\"announced_on\":")
            w.string(r.announcedOn)
            w.raw(",\"company\":")
            w.string(r.company)
            w.raw(",\"country\":")
            w.string(r.country)
            if let id = r.id {
                w.raw(",\"id\":")
                w.string(id)
            }
            w.raw(",\"investors\":[")
            for (index, investor) in r.investors.enumerated() {
                if index > 0 { w.raw(",") }
                w.string(investor)
            }
            w.raw("]")
            if let raised = r.raised {
                w.raw(",\"raised\":")
                w.money(raised)
            }
            if let round = r.round {
                w.raw(",\"round\":")
                w.string(round)
            }
            if let source = r.source {
                w.raw(",\"source\":")
                w.string(source)
            }
            w.raw(",\"valuation\":")
            w.money(r.valuation)
            w.raw("}")
        }
        return true
    }

    static func write(_ r: PaperCount, into bytes: inout [UInt8]) -> Bool {
        JSONWriter.append(to: &bytes) { w in
            w.raw("{\"authors\":")
            w.number(r.authors)
            w.raw(",\"country\":")
            w.string(r.country)
            if let id = r.id {
                w.raw(",\"id\":")
                w.string(id)
            }
            w.raw(",\"institution\":")
            w.string(r.institution)
            if let rank = r.rank {
                w.raw(",\"rank\":")
                w.number(rank)
            }
            if let source = r.source {
                w.raw(",\"source\":")
                w.string(source)
            }
            w.raw(",\"year\":")
            w.number(r.year)
            w.raw("}")
        }
        return true
    }

    static func write(_ r: StockMove, into bytes: inout [UInt8]) -> Bool {
        guard r.changePct.isFinite, r.close?.isFinite ?? true, r.marketCapChange.map(finite) ?? true else {
            return false
        }
        JSONWriter.append(to: &bytes) { w in
            w.raw("{\"at\":")
            w.string(r.at)
            w.raw(",\"change_pct\":")
            w.number(r.changePct)
            if let close = r.close {
                w.raw(",\"close\":")
                w.number(close)
            }
            if let id = r.id {
                w.raw(",\"id\":")
                w.string(id)
            }
            w.raw(",\"kind\":")
            w.string(r.kind.rawValue)
            if let change = r.marketCapChange {
                w.raw(",\"market_cap_change\":")
                w.money(change)
            }
            if let name = r.name {
                w.raw(",\"name\":")
                w.string(name)
            }
            if let source = r.source {
                w.raw(",\"source\":")
                w.string(source)
            }
            w.raw(",\"symbol\":")
            w.string(r.symbol)
            w.raw("}")
        }
        return true
    }

    private static func finite(_ money: Money) -> Bool { money.amount.isFinite }
}
