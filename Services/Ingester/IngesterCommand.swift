@main
struct IngesterCommand {
    static func main() {}
}
