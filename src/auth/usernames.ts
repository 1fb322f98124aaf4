import { randomInt } from 'node:crypto';

// Short, friendly, unambiguous words: the username is generated so nobody has to invent one,
// but a person may still need to read it aloud to an owner.
const ADJECTIVES = `
amber ample azure bold brave breezy bright brisk calm candid cheery clever cosmic cozy crisp curious dapper
daring dreamy eager early earnest easy fair fancy fearless fluffy fond frank fresh friendly gentle giddy glad
golden graceful grand happy hardy hearty honest humble jolly jovial keen kind lively lucky lunar mellow merry
mighty misty modest neat nimble noble olive patient peppy plucky polite proud quick quiet radiant rapid ready
rosy royal rustic sandy serene sharp shiny silent silver simple sincere sleek smart snowy solar spry steady
stellar sturdy sunny swift tidy tender tranquil trusty upbeat velvet vivid warm wise witty worthy zesty
`.trim().split(/\s+/);

const NOUNS = `
acorn anchor apple arrow aspen atlas badger banjo basil beacon birch bison bramble breeze brook button cactus
canyon cedar cello cherry clover comet coral cricket daisy delta dolphin dune eagle ember falcon fern finch
fjord flint garnet glacier harbor hazel heron hollow island ivy jasper juniper kestrel kettle koala lagoon
lantern lark lemon lily linden lotus maple meadow melon mesa meteor mint mole moss nectar nutmeg oak ocean
olive orchid otter owl panda pebble pepper pine plum pony poppy quail quartz rabbit raven reed ridge river
robin saffron sage salmon sparrow spruce starling stone summit swan thistle thrush tiger tulip valley violet
walnut willow wren yarrow zephyr
`.trim().split(/\s+/);

/** A readable username such as "sunny-heron-4821" (101 × 107 × 9000 combinations). */
export function generateUsername(isTaken: (candidate: string) => boolean): string {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000, 10000)}`;
    if (!isTaken(candidate)) return candidate;
  }
  throw new Error('Could not find a free username after 50 attempts');
}
