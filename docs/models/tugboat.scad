// Small tug boat in the spirit of a printer-calibration boat (not 3DBenchy itself:
// that model is CC BY-ND and not packaged in Debian). Written for the limafs documentation; CC0-1.0.
$fn = 64;

module deck_outline(s = 1) {
    scale([s, s]) hull() {
        translate([-22, -11]) circle(r = 4);
        translate([-22,  11]) circle(r = 4);
        translate([ 8, -13]) circle(r = 2);
        translate([ 8,  13]) circle(r = 2);
        translate([ 30,  0]) circle(r = 1.5);
    }
}

module hull_shell() {
    difference() {
        hull() {
            translate([3, 0, 0])  linear_extrude(0.01) deck_outline(0.62);
            translate([0, 0, 6])  linear_extrude(0.01) deck_outline(0.95);
            translate([0, 0, 14]) linear_extrude(0.01) deck_outline(1.0);
        }
        // open deck well, 2 mm bulwark
        translate([0, 0, 10]) linear_extrude(10) offset(-2) deck_outline(1.0);
        // hawse holes at the bow
        for (s = [-1, 1]) translate([22, s*6, 12]) rotate([s*70, 0, 0]) cylinder(r = 1.2, h = 12, center = true);
        // name plate recess on the stern
        translate([-26.6, 0, 9]) cube([1.2, 14, 4], center = true);
    }
}

module cabin() {
    difference() {
        translate([-20, -9, 10]) cube([22, 18, 13]);
        translate([-18, -7, 10]) cube([18, 14, 12]);                    // hollow inside
        translate([-9, 0, 10]) rotate([90, 0, 0]) hull() {               // arched door through both sides
            translate([0, 4, 0]) cylinder(r = 4, h = 30, center = true);
            translate([-4, -0.5, -15]) cube([8, 1, 30]);
        }
        for (x = [-17, -2]) translate([x, 0, 18]) cube([4, 30, 3.5], center = true);   // side windows
        translate([2, 0, 18.5]) cube([6, 12, 4], center = true);                     // front window
    }
    // roof with overhang
    translate([-22, -10.5, 23]) cube([26, 21, 1.6]);
    // wheelhouse on the roof
    difference() {
        translate([-14, -6.5, 24.6]) cube([12, 13, 8]);
        translate([-12.5, -5, 24.6]) cube([9, 10, 7]);
        translate([-2, 0, 29]) cube([6, 8, 3.5], center = true);
        translate([-8, 0, 29]) cube([3.5, 20, 3.5], center = true);
    }
    translate([-15, -7.5, 32.6]) cube([14, 15, 1.2]);
}

module chimney() {
    translate([-19, 0, 24.6]) rotate([0, -8, 0]) difference() {
        cylinder(r = 3.6, h = 10);
        translate([0, 0, 1]) cylinder(r = 2.6, h = 10);
    }
}

module bollards() {
    for (p = [[16, 0], [-22, 7], [-22, -7]])
        translate([p[0], p[1], 10]) { cylinder(r = 1.6, h = 3.5); translate([0, 0, 3.5]) cylinder(r = 2.2, h = 0.8); }
}

hull_shell();
cabin();
chimney();
bollards();
