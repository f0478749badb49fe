@main
struct AlerterCommand {
    static func main() {}
}
