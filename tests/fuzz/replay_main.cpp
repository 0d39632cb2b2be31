// Entry shim: runs a fuzz target's LLVMFuzzerTestOneInput over every file in the given
// folders, so the fuzz corpus is an ordinary regression test in g++ builds.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv)
{
    std::size_t runs = 0;
    for (int i = 1; i < argc; ++i) {
        std::vector<std::filesystem::path> files;
        for (const auto& e : std::filesystem::recursive_directory_iterator(argv[i]))
            if (e.is_regular_file())
                files.push_back(e.path());
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
            ++runs;
        }
    }
    std::printf("replayed %zu input(s)\n%zu passed, 0 failed\n", runs, runs);
    return runs > 0 ? 0 : 1;
}
