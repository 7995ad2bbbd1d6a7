# Compiler flags shared by every target of the project, carried by INTERFACE targets so that
# third-party code never sees them.

add_library(jwtbatch_warnings INTERFACE)
target_compile_options(jwtbatch_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                   -Wno-sign-conversion)
if(JWTBATCH_WERROR)
    target_compile_options(jwtbatch_warnings INTERFACE -Werror)
endif()

if(JWTBATCH_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

# The fuzz preset instruments every library for libFuzzer's coverage feedback and checks it with
# ASan and UBSan; tests/fuzz links the harnesses with -fsanitize=fuzzer, which adds libFuzzer's
# main. UBSan findings abort, so the fuzzer reports them like crashes.
if(JWTBATCH_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "JWTBATCH_FUZZ needs clang (libFuzzer); use the fuzz preset, which "
                            "sets CMAKE_CXX_COMPILER to clang++-14")
    endif()
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

# Adds one folder of src/ as a static library named jwtbatch_<folder>. Every .cpp in the folder
# belongs to it, so adding a unit needs no CMake edit; the link graph enforces the one-way
# dependencies between folders.
function(jwtbatch_add_module folder)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "DEPENDS")
    file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${folder}/*.cpp)
    add_library(jwtbatch_${folder} STATIC ${sources})
    target_include_directories(jwtbatch_${folder} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(jwtbatch_${folder} PUBLIC ${arg_DEPENDS} PRIVATE jwtbatch_warnings)
    target_compile_definitions(jwtbatch_${folder}
                               PUBLIC JWTBATCH_VERSION="${PROJECT_VERSION}")
endfunction()
