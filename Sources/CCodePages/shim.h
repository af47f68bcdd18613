#ifndef GOSSIP_CCODEPAGES_SHIM_H
#define GOSSIP_CCODEPAGES_SHIM_H

// Lets go of the pages of gossipd's own code and constants that starting it mapped. gossipd is
// one binary of about 65 MB (the Swift runtime and FoundationEssentials linked in statically); the
// kernel maps its pages in windows of 16 around each first use (fault-around), and starting a
// node (arguments, configuration, keys, proof of work) runs code spread over much of it, so an
// idle node had about 10 MiB of the binary mapped, most of it never run again. Those pages are
// the page cache's, shared by every gossipd on the machine: what this changes is how many each
// process keeps mapped, and so its RSS. The pages a node goes on running are mapped again from
// the page cache at their next use (a minor fault per window). See docs/benchmarks.md, "Idle RSS".

#if defined(__linux__) && defined(__LP64__)
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/// Drops, within [start, end), every mapping /proc/self/maps shows as a private, read-only
/// mapping of the executable's own file: its path (`executable_path`, what /proc/self/exe links
/// to), or its device and inode (`device`, `inode`). A filesystem may show one of them
/// differently in the two places (btrfs subvolumes show another device; older overlayfs the lower
/// layer's inode), so either will do. Anything else in the range is left alone: code a tool
/// copied into anonymous memory (huge-page remappers), or a page made writable. Returns 1 if it
/// dropped anything.
static int gossip_code_pages_release_range(
    uintptr_t start, uintptr_t end, const char *executable_path, dev_t device, ino_t inode) {
    FILE *maps = fopen("/proc/self/maps", "re");
    if (maps == 0) return 0;
    int released = 0;
    char *line = 0;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &capacity, maps)) > 0) {  // whole lines, however long the path
        if (line[length - 1] == '\n') line[length - 1] = 0;
        unsigned long low = 0, high = 0, offset = 0, node = 0;
        unsigned int major = 0, minor = 0;
        char permissions[8] = {0};
        int consumed = 0;
        if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &low, &high, permissions, &offset, &major, &minor, &node, &consumed) < 7) continue;
        if (strcmp(permissions, "r-xp") != 0 && strcmp(permissions, "r--p") != 0) continue;
        const char *path = consumed > 0 ? line + consumed : "";
        int same_file = ((dev_t)makedev(major, minor) == device && (ino_t)node == inode)
            || (executable_path[0] == '/' && strcmp(path, executable_path) == 0);
        if (!same_file) continue;
        uintptr_t from = low > start ? low : start;
        uintptr_t to = high < end ? high : end;
        if (from >= to) continue;
        if (madvise((void *)from, to - from, MADV_DONTNEED) == 0) released = 1;
    }
    free(line);
    fclose(maps);
    return released;
}

/// Drops this process's mappings of the executable's read-only segments (they are mapped again
/// as they are used); returns how many segments it dropped pages of (0 where it dropped none:
/// not Linux, no program headers, text relocations, or nothing that passed the checks).
static inline int gossip_release_code_pages(void) {
    // The executable's program headers, as the kernel loaded it.
    const Elf64_Phdr *headers = (const Elf64_Phdr *)getauxval(AT_PHDR);
    size_t count = (size_t)getauxval(AT_PHNUM);
    if (headers == 0 || count == 0) return 0;
    // Where it was loaded: the headers' address less where they say they are (PT_PHDR).
    uintptr_t bias = 0;
    int found = 0;
    for (size_t index = 0; index < count; index++) {
        if (headers[index].p_type == PT_PHDR) {
            bias = (uintptr_t)headers - (uintptr_t)headers[index].p_vaddr;
            found = 1;
        }
    }
    if (!found) return 0;
    // Code relocated in place (text relocations) was written at load time: leave it all alone.
    for (size_t index = 0; index < count; index++) {
        if (headers[index].p_type != PT_DYNAMIC) continue;
        for (const Elf64_Dyn *entry = (const Elf64_Dyn *)(bias + headers[index].p_vaddr); entry->d_tag != DT_NULL; entry++) {
            if (entry->d_tag == DT_TEXTREL) return 0;
            if (entry->d_tag == DT_FLAGS && (entry->d_un.d_val & DF_TEXTREL)) return 0;
        }
    }
    struct stat executable;
    if (stat("/proc/self/exe", &executable) != 0) return 0;
    char executable_path[4096] = {0};
    ssize_t path_length = readlink("/proc/self/exe", executable_path, sizeof executable_path - 1);
    executable_path[path_length > 0 ? path_length : 0] = 0;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    int released = 0;
    for (size_t index = 0; index < count; index++) {
        const Elf64_Phdr *header = &headers[index];
        // Only segments loaded read-only (code, constants), which are never written, so dropping
        // their mappings loses nothing: they read back from the file as they were. A writable
        // segment (data, and the relocated RELRO part) holds the process's own state: never.
        if (header->p_type != PT_LOAD || (header->p_flags & PF_W)) continue;
        // Whole pages inside the segment only: a page it shares with a neighbour is kept.
        uintptr_t start = (uintptr_t)(bias + header->p_vaddr + page - 1) & ~(page - 1);
        uintptr_t end = (uintptr_t)(bias + header->p_vaddr + header->p_memsz) & ~(page - 1);
        if (start >= end) continue;
        released += gossip_code_pages_release_range(start, end, executable_path, executable.st_dev, executable.st_ino);
    }
    return released;
}
#else
static inline int gossip_release_code_pages(void) { return 0; }
#endif

#endif
