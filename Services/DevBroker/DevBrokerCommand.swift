@main
struct DevBrokerCommand {
    static func main() {}
}
