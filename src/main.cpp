#include "cli/run.hpp"

int main(int argc, char** argv) { return jwtbatch::cli::run(argc, argv); }
