import Testing
@testable import Ingester
