// Waiting helpers shared by the end-to-end suites of tests/paychan.
export const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// Calls fn every step ms until it answers {ok: true, ...} and returns that
// answer; throws with the last answer after ms milliseconds.
export async function until(what, fn, ms = 40000, step = 200) {
	const end = Date.now() + ms;
	let last;
	while (Date.now() < end) {
		last = await fn();
		if (last.ok)
			return last;
		await sleep(step);
	}
	throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}
