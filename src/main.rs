fn main() -> std::process::ExitCode {
    callboard::cli::run()
}
