//! A bump allocator for the lifetime of one `validate` call (issue 10). Evaluating a pod builds
//! and drops thousands of small strings, maps and vectors; with the system allocator, finding
//! and freeing those blocks was about 40 % of all instructions. Inside [`scoped`] every
//! allocation is carved from reusable chunks and freeing is a no-op; the next `scoped` call
//! starts over at the beginning of the first chunk.
//!
//! The rule that keeps it sound: nothing allocated inside `scoped` may be used after the next
//! `scoped` call begins. Values that outlive a call (the settings cache) are built inside
//! [`outside`], which uses the system allocator. The response bytes returned from `validate`
//! are copied to the host by waPC before the next call. Blocks are told apart by address, so
//! freeing or growing a block after its scope has ended is still correct.
//!
//! Only the wasm module installs it (single-threaded); native builds keep the system allocator
//! and test the arena as a plain value.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;

/// At most this many chunks, the first of `FIRST_CHUNK` bytes, each next one twice as large
/// (64 MiB in all); a call that needs more gets the rest from the system allocator.
const CHUNKS: usize = 8;
const FIRST_CHUNK: usize = 256 * 1024;

#[derive(Clone, Copy)]
struct Chunk {
    start: *mut u8,
    size: usize,
}

struct State {
    /// Whether allocations come from the arena now.
    active: bool,
    chunks: [Chunk; CHUNKS],
    /// The chunk being filled, and the offset of its first free byte.
    current: usize,
    used: usize,
    /// Whether this scope had to take blocks from the system allocator (they must be freed).
    spilled: bool,
}

pub struct Arena {
    state: UnsafeCell<State>,
}

// The wasm module runs one call at a time on one thread; native code never shares an Arena.
unsafe impl Sync for Arena {}

impl Default for Arena {
    fn default() -> Self {
        Self::new()
    }
}

impl Arena {
    pub const fn new() -> Arena {
        Arena {
            state: UnsafeCell::new(State {
                active: false,
                chunks: [Chunk {
                    start: std::ptr::null_mut(),
                    size: 0,
                }; CHUNKS],
                current: 0,
                used: 0,
                spilled: false,
            }),
        }
    }

    /// Starts a scope: earlier arena blocks are forgotten, new allocations come from the arena.
    /// Returns whether the arena was active before (to restore it).
    pub fn begin(&self) -> bool {
        // SAFETY: single-threaded, and no reference into the state outlives this call.
        let s = unsafe { &mut *self.state.get() };
        let was = s.active;
        s.active = true;
        s.current = 0;
        s.used = 0;
        s.spilled = false;
        was
    }

    /// Whether the current scope took any block from the system allocator.
    pub fn spilled(&self) -> bool {
        // SAFETY: as in `begin`.
        unsafe { (*self.state.get()).spilled }
    }

    /// Switches the arena on or off; returns whether it was on.
    pub fn set_active(&self, active: bool) -> bool {
        // SAFETY: as in `begin`.
        let s = unsafe { &mut *self.state.get() };
        std::mem::replace(&mut s.active, active)
    }

    fn owns(s: &State, ptr: *mut u8) -> bool {
        let at = ptr as usize;
        s.chunks.iter().any(|c| {
            let start = c.start as usize;
            !c.start.is_null() && at >= start && at < start + c.size
        })
    }

    /// A block from the arena, or null when the arena can't hold it.
    unsafe fn bump(s: &mut State, layout: Layout) -> *mut u8 {
        while let Some(&chunk) = s.chunks.get(s.current) {
            if chunk.start.is_null() {
                let size = (FIRST_CHUNK << s.current).max(layout.size() + layout.align());
                // SAFETY: a non-zero size with a valid alignment.
                let start = match Layout::from_size_align(size, 16) {
                    Ok(l) => unsafe { System.alloc(l) },
                    Err(_) => std::ptr::null_mut(),
                };
                if start.is_null() {
                    return start;
                }
                if let Some(slot) = s.chunks.get_mut(s.current) {
                    *slot = Chunk { start, size };
                }
                continue;
            }
            let base = chunk.start as usize;
            let aligned = (base + s.used).next_multiple_of(layout.align());
            let end = aligned.saturating_add(layout.size());
            if end <= base + chunk.size {
                s.used = end - base;
                return aligned as *mut u8;
            }
            s.current += 1;
            s.used = 0;
        }
        std::ptr::null_mut()
    }
}

unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `begin`.
        let s = unsafe { &mut *self.state.get() };
        if s.active {
            let ptr = unsafe { Arena::bump(s, layout) };
            if !ptr.is_null() {
                return ptr;
            }
            s.spilled = true;
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as in `begin`.
        let s = unsafe { &*self.state.get() };
        if !Arena::owns(s, ptr) {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as in `begin`.
        let s = unsafe { &mut *self.state.get() };
        if !Arena::owns(s, ptr) {
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // The last block of the current chunk grows (or shrinks) in place.
        let chunk = s.chunks.get(s.current).copied().unwrap_or(Chunk {
            start: std::ptr::null_mut(),
            size: 0,
        });
        let offset = (ptr as usize).wrapping_sub(chunk.start as usize);
        if s.active
            && !chunk.start.is_null()
            && offset < chunk.size
            && offset + layout.size() == s.used
            && offset + new_size <= chunk.size
        {
            s.used = offset + new_size;
            return ptr;
        }
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks hold at least the smaller size and do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
        }
        new
    }
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: Arena = Arena::new();

/// Runs `f` with the arena on (wasm only): everything `f` allocates is released at once when
/// the next scope begins.
pub fn scoped<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(target_arch = "wasm32")]
    {
        let was = ALLOCATOR.begin();
        let out = f();
        ALLOCATOR.set_active(was);
        out
    }
    #[cfg(not(target_arch = "wasm32"))]
    f()
}

/// Lets go of `value` without walking it to free every block, when the arena will reclaim all
/// its memory anyway (wasm, inside a scope that took nothing from the system allocator); drops
/// it otherwise.
pub fn discard<T>(value: T) {
    #[cfg(target_arch = "wasm32")]
    if !ALLOCATOR.spilled() {
        std::mem::forget(value);
        return;
    }
    drop(value);
}

/// Runs `f` with the system allocator, for values that outlive the call (wasm only).
pub fn outside<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(target_arch = "wasm32")]
    {
        let was = ALLOCATOR.set_active(false);
        let out = f();
        ALLOCATOR.set_active(was);
        out
    }
    #[cfg(not(target_arch = "wasm32"))]
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn blocks_are_aligned_distinct_and_reused_after_begin() {
        let a = Arena::new();
        a.begin();
        unsafe {
            let p = a.alloc(layout(3, 1));
            let q = a.alloc(layout(8, 8));
            assert_eq!(q as usize % 8, 0);
            assert!(q as usize >= p as usize + 3);
            p.write_bytes(1, 3);
            q.write_bytes(2, 8);
            assert_eq!(*p, 1);
            a.dealloc(p, layout(3, 1)); // a no-op
            let r = a.alloc(layout(16, 16));
            assert_eq!(r as usize % 16, 0);
            assert!(r as usize >= q as usize + 8);
            a.begin();
            // The next scope starts again at the first byte.
            assert_eq!(a.alloc(layout(3, 1)), p);
        }
    }

    #[test]
    fn large_blocks_open_new_chunks_and_oversized_ones_fall_back() {
        let a = Arena::new();
        a.begin();
        unsafe {
            let big = a.alloc(layout(FIRST_CHUNK - 8, 8));
            let next = a.alloc(layout(64, 8));
            assert!(!big.is_null() && !next.is_null());
            big.write_bytes(7, FIRST_CHUNK - 8);
            next.write_bytes(9, 64);
            assert_eq!(*big.add(FIRST_CHUNK - 9), 7);
            // Once every chunk is in use, blocks come from the system allocator (and go back
            // to it when freed).
            for i in 2..CHUNKS {
                let p = a.alloc(layout(FIRST_CHUNK << i, 8));
                assert!(Arena::owns(&*a.state.get(), p), "chunk {i}");
            }
            let spill_layout = layout(FIRST_CHUNK << CHUNKS, 8);
            assert!(!a.spilled());
            let spill = a.alloc(spill_layout);
            assert!(a.spilled());
            assert!(!spill.is_null());
            assert!(!Arena::owns(&*a.state.get(), spill));
            a.dealloc(spill, spill_layout);
        }
    }

    #[test]
    fn the_last_block_grows_in_place_others_move_with_their_bytes() {
        let a = Arena::new();
        a.begin();
        unsafe {
            let p = a.alloc(layout(4, 1));
            p.copy_from_nonoverlapping(b"abcd".as_ptr(), 4);
            let grown = a.realloc(p, layout(4, 1), 100);
            assert_eq!(grown, p);
            let q = a.alloc(layout(4, 1));
            q.write_bytes(b'z', 4);
            let moved = a.realloc(p, layout(100, 1), 200);
            assert_ne!(moved, p);
            assert_eq!(std::slice::from_raw_parts(moved, 4), b"abcd");
            assert_eq!(*q, b'z');
        }
    }

    #[test]
    fn outside_a_scope_blocks_are_the_systems_and_arena_blocks_stay_valid_to_free() {
        let a = Arena::new();
        unsafe {
            let sys = a.alloc(layout(32, 8));
            assert!(!Arena::owns(&*a.state.get(), sys));
            a.begin();
            let arena = a.alloc(layout(32, 8));
            assert!(Arena::owns(&*a.state.get(), arena));
            // A system block grows with the system allocator, even inside a scope.
            let sys = a.realloc(sys, layout(32, 8), 4096);
            assert!(!Arena::owns(&*a.state.get(), sys));
            a.set_active(false);
            // An arena block freed or grown after its scope: no-op, or moved to the system.
            let moved = a.realloc(arena, layout(32, 8), 64);
            assert!(!Arena::owns(&*a.state.get(), moved));
            a.dealloc(arena, layout(32, 8));
            a.dealloc(moved, layout(64, 8));
            a.dealloc(sys, layout(4096, 8));
        }
    }
}
